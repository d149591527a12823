// A small Markdown reader for docs/backprop.md in the page's dialog: headings, paragraphs, lists,
// tables, code blocks, `code`, **bold**, *emphasis* and links. It builds DOM nodes (never
// innerHTML), so nothing in the text can run.

function inline(text) {
  const out = [];
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)]+\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(document.createTextNode(text.slice(last, match.index)));
    const token = match[0];
    let el;
    if (token.startsWith("`")) {
      el = document.createElement("code");
      el.textContent = token.slice(1, -1);
    } else if (token.startsWith("**")) {
      el = document.createElement("strong");
      el.append(...inline(token.slice(2, -2)));
    } else if (token.startsWith("*")) {
      el = document.createElement("em");
      el.append(...inline(token.slice(1, -1)));
    } else {
      const [, label, href] = token.match(/\[([^\]]+)\]\(([^)]+)\)/);
      el = document.createElement("span"); // links into the repository's docs do not open here
      el.className = "doc-link";
      el.title = href;
      el.append(...inline(label));
    }
    out.push(el);
    last = match.index + token.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

function element(tag, children) {
  const el = document.createElement(tag);
  el.append(...children);
  return el;
}

function table(rows) {
  const cells = (row) => row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const head = element("tr", cells(rows[0]).map((c) => element("th", inline(c))));
  const body = rows.slice(2).map((row) => element("tr", cells(row).map((c) => element("td", inline(c)))));
  return element("table", [element("thead", [head]), element("tbody", body)]);
}

/** The DOM nodes of Markdown `text`. */
export function render(text) {
  const lines = text.split("\n");
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const heading = line.match(/^(#{1,4}) (.*)/);
    if (heading) {
      out.push(element(`h${heading[1].length + 1}`, inline(heading[2])));
      i++;
    } else if (line.startsWith("```") || line.startsWith("    ")) {
      const fenced = line.startsWith("```");
      const code = [];
      if (fenced) i++;
      while (i < lines.length && (fenced ? !lines[i].startsWith("```") : lines[i].startsWith("    ") || !lines[i].trim())) {
        code.push(fenced ? lines[i] : lines[i].slice(4));
        i++;
      }
      if (fenced) i++;
      out.push(element("pre", [element("code", [document.createTextNode(code.join("\n").trimEnd())])]));
    } else if (line.startsWith("|")) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith("|")) rows.push(lines[i++]);
      out.push(table(rows));
    } else if (/^(\d+\.|-) /.test(line)) {
      const ordered = /^\d+\./.test(line);
      const items = [];
      while (i < lines.length && lines[i].trim() && (/^(\d+\.|-) /.test(lines[i]) || /^ {2,}/.test(lines[i]))) {
        if (/^(\d+\.|-) /.test(lines[i])) items.push(lines[i].replace(/^(\d+\.|-) /, ""));
        else items[items.length - 1] += ` ${lines[i].trim()}`;
        i++;
      }
      out.push(element(ordered ? "ol" : "ul", items.map((item) => element("li", inline(item)))));
    } else {
      const paragraph = [];
      while (i < lines.length && lines[i].trim() && !/^(#|\||```|(\d+\.|-) )/.test(lines[i])) paragraph.push(lines[i++].trim());
      out.push(element("p", inline(paragraph.join(" "))));
    }
  }
  return out;
}
