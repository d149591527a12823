// The page's own file: sent to the server (no larger than its cap, checked here first), read
// there by twolayer's table reader for this page alone; then a target column and a task can be
// chosen, each choice reading the same file again.

import { $ } from "./controls.js";

const mib = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Bind the upload controls.  `limit`: the server's cap in bytes; `session()`: this page's
 * session id; `onRead(reply)`: the server read the file (its name, columns, target, task, rows,
 * inputs, notes); `say(text, error)`: a message on the page.
 */
export function bindUpload(limit, session, onRead, say) {
  const input = $("#upload-file");
  const targets = $("#upload-target");
  const task = $("#upload-task");
  let file = null;

  async function send(target) {
    if (!file) return;
    if (file.size > limit) {
      say(`${file.name}: the file is ${mib(file.size)}, larger than the ${mib(limit)} an upload may hold; give it to twolayer playground --data FILE instead`, true);
      return;
    }
    const query = new URLSearchParams({ name: file.name, task: task.value });
    if (target) query.set("target", target);
    say(`reading ${file.name}…`);
    let reply;
    try {
      const response = await fetch(`/sessions/${session()}/upload?${query}`, {
        method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
      });
      const json = (response.headers.get("content-type") || "").includes("json");
      reply = json ? await response.json() : { error: `${file.name}: ${(await response.text()).trim()}` };
    } catch {
      say(`${file.name} could not be sent: is twolayer playground still running?`, true);
      return;
    }
    showColumns(reply.columns || [], reply.target);
    $("#upload-notes").textContent = (reply.notes || []).join("; ");
    if (reply.error) say(reply.error, true);
    else onRead(reply);
  }

  function showColumns(columns, chosen) {
    if (columns.length) {
      const current = chosen ?? Number(targets.value || columns.length);
      targets.replaceChildren(...columns.map((name, k) => new Option(name, String(k + 1), false, k + 1 === current)));
    }
    targets.closest("label").hidden = !columns.length; // an .npz holds x and y
    $("#upload-choice").hidden = false;
  }

  input.addEventListener("change", () => {
    file = input.files[0] || null;
    targets.replaceChildren();
    task.value = "auto";
    $("#upload-notes").textContent = "";
    send(null); // the last column, the task guessed
  });
  targets.addEventListener("change", () => send(targets.value));
  task.addEventListener("change", () => send(targets.value || null));
}
