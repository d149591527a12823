// Drawing the views on canvas: one map per hidden unit, the network's weights as lines, and
// matrices (weights, gradients, activations) with their values on hover. The plane is plane.js.
// Everything drawn here was computed by the server with twolayer's own forward pass; this file
// only turns numbers into colours.

export const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
export const NEGATIVE = [245, 147, 34]; // orange
export const POSITIVE = [8, 119, 189]; // blue
export const MIDDLE = [246, 246, 246];

/** A base64 float32 array from the server: {shape, values}. */
export function unpack(p) {
  const text = atob(p.data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return { shape: p.shape, values: new Float32Array(bytes.buffer) };
}

/** v in [-1, 1] -> [r, g, b]: orange for negative, blue for positive, near white at 0. */
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(MIDDLE[i] + (end[i] - MIDDLE[i]) * a));
}

export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

export function css([r, g, b], alpha = 1) {
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m || 1;
}

/** A canvas sized for the screen's pixel ratio; returns its 2-D context in CSS pixels. Only its
 * width is set: on a narrow screen CSS shrinks it and its height follows (no squashed plane). */
export function prepare(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.width = `${width}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** Paint a rows x cols grid of colours, scaled smoothly onto (x, y, w, h). */
export function paintGrid(ctx, rows, cols, colour, x, y, w, h, smooth = true) {
  const off = document.createElement("canvas");
  off.width = cols;
  off.height = rows;
  const octx = off.getContext("2d");
  const image = octx.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = colour(r, c);
      const k = 4 * (r * cols + c);
      image.data[k] = R;
      image.data[k + 1] = G;
      image.data[k + 2] = B;
      image.data[k + 3] = 255;
    }
  }
  octx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(off, x, y, w, h);
}

/** One small map (two inputs) or curve (one input) per hidden unit, all on one colour scale
 * (returned: the largest |a|); dead units marked. `onHover(j)` is told which unit the mouse is
 * over (null: none). */
export function drawUnits(container, data, frame, onHover) {
  const source = frame.plane ? frame.plane.units : frame.line ? frame.line.units : null;
  if (!source) return 1;
  const units = unpack(source);
  const H = units.shape[0];
  if (container.children.length !== H) {
    container.replaceChildren();
    for (let j = 0; j < H; j++) {
      const div = document.createElement("div");
      div.className = "unit";
      div.dataset.unit = String(j);
      div.append(document.createElement("canvas"), document.createElement("div"));
      div.addEventListener("mouseenter", () => onHover(j));
      div.addEventListener("mouseleave", () => onHover(null));
      container.append(div);
    }
  }
  const dead = new Set(frame.dead);
  const size = H > 24 ? 48 : 64;
  const per = units.values.length / H;
  const scale = maxAbs(units.values); // one scale: the maps compare
  for (let j = 0; j < H; j++) {
    const div = container.children[j];
    const canvas = div.children[0];
    const values = units.values.subarray(j * per, (j + 1) * per);
    const ctx = prepare(canvas, size, size);
    if (frame.plane) {
      const [, rows, cols] = units.shape;
      paintGrid(ctx, rows, cols, (r, c) => diverging(values[r * cols + c] / scale), 0, 0, size, size);
    } else {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, size, size);
      ctx.strokeStyle = css(POSITIVE);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      values.forEach((v, i) => {
        const px = (i / (values.length - 1)) * size;
        const py = size / 2 - (v / scale) * (size / 2 - 4);
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      ctx.stroke();
    }
    div.classList.toggle("dead", dead.has(j));
    div.children[1].textContent = dead.has(j) ? `h${j + 1} dead` : `h${j + 1}`;
  }
  return scale;
}

/** The network as lines: w1 from each input to each hidden unit, w2 from there to the outputs.
 * Returns the hover targets: segments and nodes with the text to show. */
export function drawNetwork(canvas, data, frame) {
  const w1 = unpack(frame.weights.w1), w2 = unpack(frame.weights.w2);
  const b1 = frame.weights.b1 ? unpack(frame.weights.b1).values : null;
  const b2 = frame.weights.b2 ? unpack(frame.weights.b2).values : null;
  const [D, H] = w1.shape, K = w2.shape[1];
  const width = 360;
  const height = Math.max(200, Math.min(700, 24 + 14 * Math.max(D, H, K)));
  const ctx = prepare(canvas, width, height);
  ctx.clearRect(0, 0, width, height);
  const column = (n, x) => Array.from({ length: n }, (_, i) => [x, ((i + 1) * height) / (n + 1)]);
  const inputs = column(D, 60), hidden = column(H, width / 2), outputs = column(K, width - 60);
  const targets = [];
  const outNames = data.classes || data.targets;
  for (const [matrix, from, to, name, fromName, toName] of [
    [w1, inputs, hidden, "w1", (i) => data.features[i], (j) => `h${j + 1}`],
    [w2, hidden, outputs, "w2", (j) => `h${j + 1}`, (k) => outNames[k] ?? `y${k + 1}`],
  ]) {
    const scale = maxAbs(matrix.values);
    const cols = matrix.shape[1];
    for (let i = 0; i < from.length; i++) {
      for (let j = 0; j < to.length; j++) {
        const v = matrix.values[i * cols + j];
        const t = Math.abs(v) / scale;
        ctx.strokeStyle = css(v < 0 ? NEGATIVE : POSITIVE, 0.2 + 0.8 * t);
        ctx.lineWidth = 0.4 + 4 * t;
        ctx.beginPath();
        ctx.moveTo(...from[i]);
        ctx.lineTo(...to[j]);
        ctx.stroke();
        const label = `${name}[${fromName(i)} → ${toName(j)}]`;
        targets.push({ segment: [...from[i], ...to[j]], text: `${label} = ${v.toPrecision(4)} (click to set)`, param: { name, index: [i, j], label, value: v } });
      }
    }
  }
  const dead = new Set(frame.dead);
  const node = ([x, y], fill, text, label, side, param = null) => {
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.strokeStyle = "#444";
    ctx.lineWidth = 1;
    ctx.stroke();
    if (label) {
      ctx.fillStyle = "#333";
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = side;
      ctx.fillText(label, x + (side === "right" ? -10 : 10), y + 4);
      ctx.textAlign = "left";
    }
    targets.push({ node: [x, y], text, param });
  };
  inputs.forEach((p, i) => node(p, "#fff", `input ${data.features[i]}`, String(data.features[i]).slice(0, 8), "right"));
  hidden.forEach((p, j) => {
    const bias = b1 ? `, b1 = ${b1[j].toPrecision(4)} (click to set)` : "";
    const isDead = dead.has(j);
    const param = b1 ? { name: "b1", index: [j], label: `b1[h${j + 1}]`, value: b1[j] } : null;
    node(p, isDead ? "#bbb" : "#fff", `h${j + 1}${isDead ? " (dead)" : ""}${bias}`, null, "left", param);
    if (isDead) {
      ctx.strokeStyle = "#b00020";
      ctx.beginPath();
      ctx.moveTo(p[0] - 4, p[1] - 4); ctx.lineTo(p[0] + 4, p[1] + 4);
      ctx.moveTo(p[0] + 4, p[1] - 4); ctx.lineTo(p[0] - 4, p[1] + 4);
      ctx.stroke();
    }
  });
  outputs.forEach((p, k) => {
    const bias = b2 ? `, b2 = ${b2[k].toPrecision(4)} (click to set)` : "";
    const param = b2 ? { name: "b2", index: [k], label: `b2[${outNames[k] ?? k}]`, value: b2[k] } : null;
    node(p, "#fff", `output ${outNames[k] ?? k}${bias}`, String(outNames[k] ?? `y${k + 1}`).slice(0, 8), "left", param);
  });
  return targets;
}

/** The hover target nearest to (x, y): a node within 8 px, else a line within 4 px. */
export function nearest(targets, x, y) {
  let best = null, bestDistance = Infinity;
  for (const t of targets) {
    let d;
    if (t.node) {
      d = Math.hypot(t.node[0] - x, t.node[1] - y) - 4;
    } else {
      const [x1, y1, x2, y2] = t.segment;
      const dx = x2 - x1, dy = y2 - y1;
      const s = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
      d = Math.hypot(x1 + s * dx - x, y1 + s * dy - y);
    }
    if (d < bestDistance) { best = t; bestDistance = d; }
  }
  return bestDistance <= 4 ? best : null;
}

/** A matrix (rows, cols) or vector as coloured cells with a caption; hover shows each value.
 * The element is made once per key inside `container` and reused. */
export function drawMatrix(container, key, caption, packedArray, rowName, colName) {
  const m = unpack(packedArray);
  const [rows, cols] = m.shape.length === 2 ? m.shape : [1, m.shape[0]];
  let div = container.querySelector(`[data-key="${key}"]`);
  if (!div) {
    div = document.createElement("div");
    div.className = "matrix";
    div.dataset.key = key;
    div.append(document.createElement("div"), document.createElement("canvas"));
    container.append(div);
    const canvas = div.children[1];
    canvas.addEventListener("mousemove", (event) => {
      const info = canvas._matrix;
      const box = canvas.getBoundingClientRect();
      const r = Math.floor((event.clientY - box.top) / info.cell);
      const c = Math.floor((event.clientX - box.left) / info.cell);
      if (r < 0 || c < 0 || r >= info.rows || c >= info.cols) return hideTip();
      const where = info.rows === 1 ? `[${info.colName(c)}]` : `[${info.rowName(r)}, ${info.colName(c)}]`;
      showTip(event, `${info.key}${where} = ${info.values[r * info.cols + c].toPrecision(4)}`);
    });
    canvas.addEventListener("mouseleave", hideTip);
  }
  div.children[0].textContent = caption;
  const cell = Math.max(3, Math.min(16, Math.floor(220 / Math.max(cols, rows / 2))));
  const canvas = div.children[1];
  canvas._matrix = { rows, cols, cell, key, values: m.values, rowName, colName };
  const ctx = prepare(canvas, cols * cell, rows * cell);
  const scale = maxAbs(m.values);
  paintGrid(ctx, rows, cols, (r, c) => diverging(m.values[r * cols + c] / scale), 0, 0, cols * cell, rows * cell, false);
  return div;
}

const tip = () => document.getElementById("tooltip");

export function showTip(event, text) {
  const el = tip();
  el.textContent = text;
  el.hidden = false;
  el.style.left = `${event.clientX + 12}px`;
  el.style.top = `${event.clientY + 12}px`;
}

export function hideTip() {
  tip().hidden = true;
}
