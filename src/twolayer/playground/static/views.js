// Drawing the views on canvas: the input plane (or line), one map per hidden unit, the network's
// weights as lines, and matrices (weights, gradients, activations) with their values on hover.
// Everything drawn here was computed by the server with twolayer's own forward pass; this file
// only turns numbers into colours.

export const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const NEGATIVE = [245, 147, 34]; // orange
const POSITIVE = [8, 119, 189]; // blue
const MIDDLE = [246, 246, 246];

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

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

function css([r, g, b], alpha = 1) {
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m || 1;
}

/** A canvas sized for the screen's pixel ratio; returns its 2-D context in CSS pixels. */
export function prepare(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** Paint a rows x cols grid of colours, scaled smoothly onto (x, y, w, h). */
function paintGrid(ctx, rows, cols, colour, x, y, w, h, smooth = true) {
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

/** Where a point of the data's units falls on a canvas of size (w, h) showing `extent`. */
export function toCanvas(extent, w, h, u, v) {
  const [[x0, x1], [y0, y1]] = extent;
  return [((u - x0) / (x1 - x0)) * w, (1 - (v - y0) / (y1 - y0)) * h];
}

/** The point of the data's units under canvas position (px, py). */
export function fromCanvas(extent, w, h, px, py) {
  const [[x0, x1], [y0, y1]] = extent;
  return [x0 + (px / w) * (x1 - x0), y1 - (py / h) * (y1 - y0)];
}

/** The colour of a class probability row (C values) or a regression value (scaled). */
function answerColour(data, row, scale) {
  if (data.task === "regression") return diverging(row[0] / scale);
  if (row.length === 2) return diverging(row[1] - row[0]);
  let k = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[k]) k = i;
  const strength = (row[k] - 1 / row.length) / (1 - 1 / row.length);
  return mix(MIDDLE, rgb(CLASS_COLOURS[k % CLASS_COLOURS.length]), 0.15 + 0.6 * Math.max(0, strength));
}

function pointColour(data, value, scale) {
  if (data.task === "regression") return diverging(value / scale);
  return rgb(CLASS_COLOURS[value % CLASS_COLOURS.length]);
}

/** The largest |target| over the points: the colour scale of a regression's values. */
export function targetScale(data) {
  const ys = [...(data.train ? data.train.y : []), ...(data.test ? data.test.y : [])];
  return ys.length && data.task === "regression" ? maxAbs(ys) : 1;
}

function drawPoints(ctx, data, w, h, extent, scale) {
  for (const [set, ring] of [[data.train, "#fff"], [data.test, "#222"]]) {
    if (!set) continue;
    for (let i = 0; i < set.x.length; i++) {
      const p = set.x[i];
      const [px, py] = p.length === 2
        ? toCanvas(extent, w, h, p[0], p[1])
        : toCanvas(extent, w, h, p[0], set.y[i]);
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      const oneInput = p.length === 1; // the curve's points: dark, the test ones hollow
      ctx.fillStyle = oneInput ? (ring === "#fff" ? "#444" : "#fff") : css(pointColour(data, set.y[i], scale));
      ctx.fill();
      ctx.lineWidth = ring === "#fff" ? 1 : 1.6;
      ctx.strokeStyle = ring;
      ctx.stroke();
    }
  }
}

/** The input plane (two inputs: the output over every cell) or line (one input: the fit). */
export function drawPlane(canvas, data, frame) {
  const w = 360, h = 360;
  const ctx = prepare(canvas, w, h);
  ctx.clearRect(0, 0, w, h);
  const extent = data.extent;
  const scale = targetScale(data);
  if (frame.plane) {
    const out = unpack(frame.plane.output); // (PLANE, PLANE, C), top row first
    const [rows, cols, C] = out.shape;
    paintGrid(ctx, rows, cols, (r, c) => {
      const k = (r * cols + c) * C;
      return answerColour(data, out.values.subarray(k, k + C), scale);
    }, 0, 0, w, h);
  } else if (frame.line) {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    const xs = unpack(frame.line.x).values;
    const ys = unpack(frame.line.output).values; // (LINE, D_out): the first target is drawn
    const stride = ys.length / xs.length;
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    const [, zero] = toCanvas(extent, w, h, 0, 0);
    ctx.moveTo(0, zero);
    ctx.lineTo(w, zero);
    ctx.stroke();
    ctx.strokeStyle = css(POSITIVE);
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const [px, py] = toCanvas(extent, w, h, xs[i], ys[i * stride]);
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
  drawPoints(ctx, data, w, h, extent, scale);
  ctx.fillStyle = "#555";
  ctx.font = "11px system-ui, sans-serif";
  const names = data.features;
  ctx.fillText(`${names[0]} ${fmt(extent[0][0])} … ${fmt(extent[0][1])}`, 4, h - 4);
  const vertical = names.length === 2 ? names[1] : data.targets[0];
  ctx.fillText(`${vertical} ${fmt(extent[1][0])} … ${fmt(extent[1][1])}`, 4, 12);
}

function fmt(v) {
  return Number(v.toPrecision(3)).toString();
}

/** One small map (two inputs) or curve (one input) per hidden unit; dead units marked. */
export function drawUnits(container, data, frame) {
  const source = frame.plane ? frame.plane.units : frame.line ? frame.line.units : null;
  if (!source) return;
  const units = unpack(source);
  const H = units.shape[0];
  if (container.children.length !== H) {
    container.replaceChildren();
    for (let j = 0; j < H; j++) {
      const div = document.createElement("div");
      div.className = "unit";
      div.append(document.createElement("canvas"), document.createElement("div"));
      container.append(div);
    }
  }
  const dead = new Set(frame.dead);
  const size = H > 24 ? 48 : 64;
  const per = units.values.length / H;
  for (let j = 0; j < H; j++) {
    const div = container.children[j];
    const canvas = div.children[0];
    const values = units.values.subarray(j * per, (j + 1) * per);
    const ctx = prepare(canvas, size, size);
    const scale = maxAbs(values);
    if (frame.plane) {
      const [, rows, cols] = units.shape;
      paintGrid(ctx, rows, cols, (r, c) => diverging(values[r * cols + c] / scale), 0, 0, size, size);
    } else {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, size, size);
      let lo = Infinity, hi = -Infinity;
      for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const span = hi - lo || 1;
      ctx.strokeStyle = css(POSITIVE);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      values.forEach((v, i) => {
        const px = (i / (values.length - 1)) * size;
        const py = size - 4 - ((v - lo) / span) * (size - 8);
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      ctx.stroke();
    }
    div.classList.toggle("dead", dead.has(j));
    div.children[1].textContent = dead.has(j) ? `h${j + 1} dead` : `h${j + 1}`;
  }
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
        targets.push({ segment: [...from[i], ...to[j]], text: `${name}[${fromName(i)} → ${toName(j)}] = ${v.toPrecision(4)}` });
      }
    }
  }
  const dead = new Set(frame.dead);
  const node = ([x, y], fill, text, label, side) => {
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
    targets.push({ node: [x, y], text });
  };
  inputs.forEach((p, i) => node(p, "#fff", `input ${data.features[i]}`, String(data.features[i]).slice(0, 8), "right"));
  hidden.forEach((p, j) => {
    const bias = b1 ? `, b1 = ${b1[j].toPrecision(4)}` : "";
    const isDead = dead.has(j);
    node(p, isDead ? "#bbb" : "#fff", `h${j + 1}${isDead ? " (dead)" : ""}${bias}`, null);
    if (isDead) {
      ctx.strokeStyle = "#b00020";
      ctx.beginPath();
      ctx.moveTo(p[0] - 4, p[1] - 4); ctx.lineTo(p[0] + 4, p[1] + 4);
      ctx.moveTo(p[0] + 4, p[1] - 4); ctx.lineTo(p[0] - 4, p[1] + 4);
      ctx.stroke();
    }
  });
  outputs.forEach((p, k) => {
    const bias = b2 ? `, b2 = ${b2[k].toPrecision(4)}` : "";
    node(p, "#fff", `output ${outNames[k] ?? k}${bias}`, String(outNames[k] ?? `y${k + 1}`).slice(0, 8), "left");
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
