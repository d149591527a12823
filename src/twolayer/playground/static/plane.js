// The input plane (two inputs) or line (one input): the network's answer over it, the points, axes
// with ticks, a colour legend, a hidden unit's map when one is hovered, and the followed sample.
// Everything drawn was computed by the server with twolayer's own forward pass.

import {
  CLASS_COLOURS, MIDDLE, NEGATIVE, POSITIVE, css, diverging, maxAbs, mix, paintGrid, prepare, rgb,
  unpack,
} from "./views.js";

export const WIDTH = 380, HEIGHT = 376;
export const AREA = { x: 36, y: 6, w: 338, h: 338 }; // where the plane is drawn, in CSS pixels
const BACKGROUND = 0.7; // the strongest colour of the background: the points stay visible

/** Where a point of the data's units falls on the canvas (CSS pixels). */
export function toCanvas(extent, u, v) {
  const [[x0, x1], [y0, y1]] = extent;
  return [AREA.x + ((u - x0) / (x1 - x0)) * AREA.w, AREA.y + (1 - (v - y0) / (y1 - y0)) * AREA.h];
}

/** The point of the data's units under canvas position (px, py) in CSS pixels; null outside. */
export function fromCanvas(extent, px, py) {
  const [[x0, x1], [y0, y1]] = extent;
  const s = (px - AREA.x) / AREA.w, t = (py - AREA.y) / AREA.h;
  if (s < 0 || s > 1 || t < 0 || t > 1) return null;
  return [x0 + s * (x1 - x0), y1 - t * (y1 - y0)];
}

/** The canvas position of a mouse event, in the canvas's CSS pixels (the page may shrink it). */
export function eventPosition(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const scale = WIDTH / box.width;
  return [(event.clientX - box.left) * scale, (event.clientY - box.top) * scale];
}

/** About `n` round numbers spanning [lo, hi]. */
export function ticks(lo, hi, n = 5) {
  const raw = (hi - lo) / n;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** A short label for a number: 3 significant digits, powers of ten beyond 1e5 or below 1e-3. */
export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** The colour of an answer: class probabilities (C values) or a regression value (scaled). */
function answerColour(data, row, scale, discrete) {
  if (data.task === "regression") {
    const v = row[0] / scale;
    return diverging(BACKGROUND * (discrete ? Math.sign(v) : v));
  }
  if (row.length === 2) {
    const d = row[1] - row[0];
    return diverging(BACKGROUND * (discrete ? Math.sign(d) : d));
  }
  let k = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[k]) k = i;
  const strength = discrete ? 1 : Math.max(0, (row[k] - 1 / row.length) / (1 - 1 / row.length));
  return mix(MIDDLE, rgb(CLASS_COLOURS[k % CLASS_COLOURS.length]), 0.15 + (BACKGROUND - 0.15) * strength);
}

function pointColour(data, value, scale) {
  if (data.task === "regression") return diverging(value / scale);
  if (data.classes.length === 2) return value === 0 ? NEGATIVE : POSITIVE;
  return rgb(CLASS_COLOURS[value % CLASS_COLOURS.length]);
}

/** The largest |target| over the points: the colour scale of a regression's values. */
export function targetScale(data) {
  const ys = [...(data.train ? data.train.y : []), ...(data.test ? data.test.y : [])];
  return ys.length && data.task === "regression" ? maxAbs(ys) : 1;
}

/** Every training point (and, shown, test point) as [px, py, set, index] on the canvas. */
export function pointPositions(data, showTest = true) {
  const out = [];
  for (const [name, set] of [["train", data.train], ["test", showTest ? data.test : null]]) {
    if (!set) continue;
    set.x.forEach((p, i) => out.push([...(p.length === 2 ? toCanvas(data.extent, p[0], p[1]) : toCanvas(data.extent, p[0], set.y[i])), name, i]));
  }
  return out;
}

function drawPoints(ctx, data, scale, view) {
  for (const [px, py, name, i] of pointPositions(data, view.showTest)) {
    const set = name === "train" ? data.train : data.test;
    const oneInput = data.n_inputs === 1;
    ctx.beginPath();
    ctx.arc(px, py, 4, 0, 2 * Math.PI);
    ctx.fillStyle = oneInput ? (name === "train" ? "#444" : "#fff") : css(pointColour(data, set.y[i], scale));
    ctx.fill();
    ctx.lineWidth = name === "train" ? 1.5 : 2.2; // training points ringed white, test points dark
    ctx.strokeStyle = name === "train" ? "#fff" : "#111";
    ctx.stroke();
  }
}

/** The answer over the plane (or a hidden unit's map when `view.unit` is a unit's index). */
export function drawPlane(canvas, data, frame, view) {
  const ctx = prepare(canvas, WIDTH, HEIGHT);
  ctx.clearRect(0, 0, WIDTH, HEIGHT);
  ctx.fillStyle = "#fff";
  ctx.fillRect(AREA.x, AREA.y, AREA.w, AREA.h);
  const extent = data.extent;
  const scale = targetScale(data);
  let legend;
  if (view.unit !== null && frame.plane) {
    legend = drawUnitMap(ctx, frame, view.unit);
  } else if (frame.plane) {
    const out = unpack(frame.plane.output); // (PLANE, PLANE, C), top row first
    const [rows, cols, C] = out.shape;
    paintGrid(ctx, rows, cols, (r, c) => {
      const k = (r * cols + c) * C;
      return answerColour(data, out.values.subarray(k, k + C), scale, view.discrete);
    }, AREA.x, AREA.y, AREA.w, AREA.h);
    legend = answerLegend(data, scale, view.discrete);
  } else if (frame.line) {
    drawLine(ctx, data, frame, view);
    legend = { kind: "line" };
  }
  drawAxes(ctx, data);
  drawPoints(ctx, data, scale, view);
  if (view.follow) {
    const [px, py] = view.follow;
    ctx.beginPath();
    ctx.arc(px, py, 9, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#d62728";
    ctx.stroke();
  }
  return legend;
}

function drawLine(ctx, data, frame, view) {
  const xs = unpack(frame.line.x).values;
  const values = view.unit !== null ? unpack(frame.line.units) : null;
  const ys = values ? values.values.subarray(view.unit * xs.length, (view.unit + 1) * xs.length) : unpack(frame.line.output).values;
  const stride = values ? 1 : ys.length / xs.length;
  const [, zero] = toCanvas(data.extent, 0, 0);
  ctx.strokeStyle = "#ccc";
  ctx.beginPath();
  ctx.moveTo(AREA.x, zero);
  ctx.lineTo(AREA.x + AREA.w, zero);
  ctx.stroke();
  ctx.strokeStyle = css(values ? NEGATIVE : POSITIVE);
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) {
    const [px, py] = toCanvas(data.extent, xs[i], ys[i * stride]);
    if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  }
  ctx.stroke();
}

function drawUnitMap(ctx, frame, j) {
  const units = unpack(frame.plane.units); // (H, 20, 20)
  const [H, rows, cols] = units.shape;
  const scale = maxAbs(units.values); // one scale for every unit, as the unit maps use
  const values = units.values.subarray(j * rows * cols, (j + 1) * rows * cols);
  paintGrid(ctx, rows, cols, (r, c) => diverging(values[r * cols + c] / scale), AREA.x, AREA.y, AREA.w, AREA.h);
  return { kind: "bar", low: -scale, high: scale, label: `h${j + 1}: a = f(h) of unit ${j + 1} of ${H}` };
}

function answerLegend(data, scale, discrete) {
  if (data.task === "regression") {
    return { kind: "bar", low: discrete ? -1 : -scale, high: discrete ? 1 : scale, label: discrete ? `${data.targets[0]}: sign of the fitted value` : `${data.targets[0]}: the fitted value` };
  }
  if (data.classes.length === 2) {
    return { kind: "bar", low: 0, high: 1, label: discrete ? `the likelier class (${data.classes[0]} or ${data.classes[1]})` : `P(${data.classes[1]}), the softmax's second output`, ends: data.classes };
  }
  return { kind: "classes", classes: data.classes };
}

function drawAxes(ctx, data) {
  const [[x0, x1], [y0, y1]] = data.extent;
  ctx.strokeStyle = "#888";
  ctx.lineWidth = 1;
  ctx.strokeRect(AREA.x, AREA.y, AREA.w, AREA.h);
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center";
  for (const v of ticks(x0, x1)) {
    const [px] = toCanvas(data.extent, v, y0);
    ctx.beginPath(); ctx.moveTo(px, AREA.y + AREA.h); ctx.lineTo(px, AREA.y + AREA.h + 4); ctx.stroke();
    ctx.fillText(fmt(v), px, AREA.y + AREA.h + 15);
  }
  ctx.fillText(data.inputs[0], AREA.x + AREA.w / 2, HEIGHT - 2);
  ctx.textAlign = "right";
  for (const v of ticks(y0, y1)) {
    const [, py] = toCanvas(data.extent, x0, v);
    ctx.beginPath(); ctx.moveTo(AREA.x - 4, py); ctx.lineTo(AREA.x, py); ctx.stroke();
    ctx.fillText(fmt(v), AREA.x - 6, py + 4);
  }
  ctx.save();
  ctx.translate(10, AREA.y + AREA.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(data.n_inputs === 2 ? data.inputs[1] : data.targets[0], 0, 0);
  ctx.restore();
  ctx.textAlign = "left";
}

/** The legend under the plane: a colour bar with its ends, or one swatch per class. */
export function showLegend(element, legend) {
  element.replaceChildren();
  if (!legend || legend.kind === "line") {
    element.textContent = "the blue curve: the fitted value; dots: training points, hollow ones test points";
    return;
  }
  if (legend.kind === "classes") {
    for (const [k, name] of legend.classes.entries()) {
      const item = document.createElement("span");
      item.className = "swatch";
      item.style.setProperty("--swatch", CLASS_COLOURS[k % CLASS_COLOURS.length]);
      item.textContent = name;
      element.append(item);
    }
    return;
  }
  colourBar(element, legend.low, legend.high, legend.label, legend.ends);
}

/** A bar from orange (low) through white to blue (high), its ends and middle labelled. */
export function colourBar(element, low, high, label, ends) {
  const bar = document.createElement("div");
  bar.className = "colourbar";
  const labels = document.createElement("div");
  labels.className = "colourbar-labels";
  const names = ends ? [ends[0], "", ends[1]] : ["", "", ""];
  for (const [v, name] of [[low, names[0]], [(low + high) / 2, names[1]], [high, names[2]]]) {
    const span = document.createElement("span");
    span.textContent = name ? `${fmt(v)} (${name})` : fmt(v);
    labels.append(span);
  }
  const caption = document.createElement("div");
  caption.textContent = label;
  element.append(bar, labels, caption);
}
