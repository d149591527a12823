// The playground page: its controls, the URL hash that holds every setting, the WebSocket to the
// server that trains, and the drawing of each frame (once per animation frame, the latest only).

import { LossChart } from "./chart.js";
import {
  CLASS_COLOURS, drawMatrix, drawNetwork, drawPlane, drawUnits, fromCanvas, hideTip, nearest,
  showTip,
} from "./views.js";

const $ = (selector) => document.querySelector(selector);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = {
  options: null, // what /api/options offers: choices, defaults, which settings reset
  settings: {}, // every setting as text, as the URL hash holds it
  edits: "", // the clicked points, in the hash's form
  data: null, // the last data message: points, names, task, sizes
  frame: null, // the last frame
  dirty: false, // a frame arrived since the last drawing
  session: null,
  socket: null,
  playing: false,
  chosenClass: 0,
  notice: null, // why the network was reset, said with the data that follows
  networkTargets: [],
  chart: null,
};

// --- the URL hash ----------------------------------------------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {};
  for (const [key, value] of params) if (key !== "edits") settings[key] = value;
  return { settings, edits: params.get("edits") || "" };
}

function writeHash() {
  const params = new URLSearchParams(state.settings);
  if (state.edits) params.set("edits", state.edits);
  history.replaceState(null, "", `#${params}`);
}

// --- controls --------------------------------------------------------------------------------

function fill(select, values, labels = {}) {
  select.replaceChildren(...values.map((v) => new Option(labels[v] ?? v, v)));
}

function buildControls() {
  const o = state.options;
  const datasets = $('[name="dataset"]');
  datasets.replaceChildren();
  const groups = [
    ["2-D classification", o.datasets.classification],
    ["regression", o.datasets.regression],
    ["bundled (scikit-learn)", o.datasets.bundled],
  ];
  if (o.datasets.file) groups.unshift([`your file`, ["file"]]);
  for (const [label, names] of groups) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const name of names) {
      group.append(new Option(name === "file" ? o.datasets.file : name, name));
    }
    datasets.append(group);
  }
  fill($('[name="activation"]'), o.activations);
  fill($('[name="optimizer"]'), o.optimizers);
  fill($('[name="schedule"]'), o.schedules);
  fill($('[name="init"]'), o.inits);
  fillLosses(o.losses.classification);
}

function fillLosses(losses) {
  fill($('[name="loss"]'), ["", ...losses], { "": `default (${losses[0] === "cross_entropy" ? "cross_entropy" : "mse"})` });
}

function showSettings() {
  for (const el of document.querySelectorAll(".controls [name]")) {
    const value = state.settings[el.name];
    if (value === undefined) continue;
    if (el.type === "checkbox") el.checked = value === "1";
    else el.value = value;
  }
  const drawn = [...state.options.datasets.classification, ...state.options.datasets.regression];
  const name = state.settings.dataset;
  for (const el of document.querySelectorAll(".drawn")) {
    el.classList.toggle("hidden-control", !drawn.includes(name));
  }
  $(".classes").classList.toggle("hidden-control", !["gaussians", "spiral"].includes(name));
}

function controlValue(el) {
  return el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value;
}

function bindControls() {
  for (const el of document.querySelectorAll(".controls [name]")) {
    const commit = () => {
      const value = controlValue(el);
      if (value === state.settings[el.name]) return;
      send({ cmd: "settings", settings: { [el.name]: value } });
    };
    el.addEventListener("change", commit);
    el.addEventListener("keydown", (event) => { if (event.key === "Enter") commit(); });
  }
  byTestId("play").addEventListener("click", () => send({ cmd: "play" }));
  byTestId("pause").addEventListener("click", () => send({ cmd: "pause" }));
  byTestId("step").addEventListener("click", () => send({ cmd: "step" }));
  byTestId("reset").addEventListener("click", () => send({ cmd: "reset" }));
  byTestId("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      say("link copied: it restores every setting and clicked point");
    } catch {
      say("copy the address bar: it holds every setting");
    }
  });
  byTestId("boundary").addEventListener("click", onPlaneClick);
  const network = $("#network");
  network.addEventListener("mousemove", (event) => {
    const box = network.getBoundingClientRect();
    const target = nearest(state.networkTargets, event.clientX - box.left, event.clientY - box.top);
    if (target) showTip(event, target.text); else hideTip();
  });
  network.addEventListener("mouseleave", hideTip);
  for (const link of document.querySelectorAll("a.doc")) link.addEventListener("click", openDoc);
  window.addEventListener("hashchange", () => {
    const { settings, edits } = readHash();
    state.settings = { ...state.options.defaults, ...settings };
    state.edits = edits;
    send({ cmd: "start", settings: state.settings, edits });
  });
}

function onPlaneClick(event) {
  const data = state.data;
  if (!data || !data.editable || !data.extent) return;
  const canvas = event.currentTarget;
  const box = canvas.getBoundingClientRect();
  const [u, v] = fromCanvas(data.extent, box.width, box.height, event.clientX - box.left, event.clientY - box.top);
  const n = (x) => Number(x.toPrecision(4));
  let edit;
  if (event.shiftKey) edit = data.n_inputs === 2 ? `r,${n(u)},${n(v)}` : `r,${n(u)}`;
  else if (data.n_inputs === 1) edit = `a,${n(u)},${n(v)}`;
  else if (data.task === "classification") edit = `a,${n(u)},${n(v)},${state.chosenClass}`;
  else edit = `a,${n(u)},${n(v)},${Number($("#edit-value").value) || 0}`;
  send({ cmd: "edit", edit });
}

function buildEditTools(data) {
  $("#edit-tools").hidden = !data.editable;
  const picker = $("#class-picker");
  picker.replaceChildren();
  const classification = data.task === "classification";
  $("#value-picker").hidden = classification || data.n_inputs !== 2;
  $("#edit-value-label").textContent = classification ? " of" : data.n_inputs === 1 ? " where you click" : " of this value";
  if (!classification) return;
  state.chosenClass = Math.min(state.chosenClass, data.classes.length - 1);
  data.classes.forEach((name, k) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    button.style.background = CLASS_COLOURS[k % CLASS_COLOURS.length];
    button.classList.toggle("chosen", k === state.chosenClass);
    button.addEventListener("click", () => {
      state.chosenClass = k;
      for (const b of picker.children) b.classList.toggle("chosen", b === button);
    });
    picker.append(button);
  });
}

// --- messages ----------------------------------------------------------------------------------

function say(text, error = false) {
  const el = $("#message");
  el.textContent = text || "";
  el.classList.toggle("error", error);
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.addEventListener("open", () => send({ cmd: "start", settings: state.settings, edits: state.edits }));
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    setPlaying(false);
    say("the connection to the server closed: is twolayer playground still running? Reload to reconnect.", true);
  });
}

function setPlaying(playing) {
  state.playing = playing;
  byTestId("play").hidden = playing;
  byTestId("pause").hidden = !playing;
}

function receive(message) {
  switch (message.type) {
    case "hello":
      state.session = message.session;
      byTestId("download-model").href = `/sessions/${message.session}/model.npz`;
      byTestId("download-history").href = `/sessions/${message.session}/history.csv`;
      break;
    case "data":
      onData(message);
      break;
    case "frame":
      state.frame = message;
      state.chart.add(message.records);
      state.dirty = true;
      if (message.status === "error") say(message.error, true);
      else if (message.status === "finished") say(`the run reached iteration ${message.iteration}, where "stop at iteration" ends it: raise it to go on`);
      break;
    case "playing":
      setPlaying(message.playing);
      if (message.playing) say("");
      break;
    case "settings":
      state.settings = message.settings;
      writeHash();
      showSettings();
      break;
    case "reset": // the data message that follows shows it
      state.notice = message.because === "data"
        ? "new data: the points were drawn (or loaded) again and the network starts afresh"
        : "that setting changes the network itself: it was rebuilt from new starting weights (reset)";
      break;
    case "error":
      say(message.message, true);
      showSettings();
      break;
  }
}

function onData(data) {
  state.data = data;
  state.settings = data.settings;
  state.edits = data.edits;
  writeHash();
  fillLosses(data.losses);
  showSettings();
  buildEditTools(data);
  const plane = data.n_inputs <= 2;
  $("#plane-view").hidden = !plane;
  $("#units-view").hidden = !plane;
  $("#activations-view").hidden = plane;
  $("#units").replaceChildren();
  $("#weight-matrices").replaceChildren();
  $("#activations").replaceChildren();
  $("#grads").replaceChildren();
  const lines = data.n_inputs <= 12;
  $("#network").hidden = !lines;
  $("#weight-matrices").hidden = lines;
  const regression = data.task === "regression";
  $("#plane-title").textContent = data.n_inputs === 1 ? "fitted curve" : regression ? "fitted surface" : "decision boundary";
  $("#plane-what").innerHTML = regression
    ? "The network's fitted value <code>y_pred = f(x @ w1 + b1) @ w2 + b2</code> over every input "
      + (data.n_inputs === 1 ? "along the line (the blue curve), with the points as dots." : "of the plane, orange for negative and blue for positive; the dots are the points, dark-ringed ones in the test set.")
    : "Every cell of the plane is an input <code>x</code>, coloured by the network's answer there: "
      + "<code>y_pred = f(x @ w1 + b1) @ w2 + b2</code>, with the softmax of <code>y_pred</code> as class "
      + "probabilities. Filled dots are training points, dark-ringed ones test points.";
  $("#score-name").textContent = data.metric;
  $("#loss-title").textContent = `loss: ${data.loss}`;
  state.chart.reset(data.loss);
  const counts = `${data.n_train} training and ${data.n_test} test points, ${data.n_inputs} input${data.n_inputs === 1 ? "" : "s"}, ${data.hidden} hidden units`;
  say(state.notice ? `${state.notice}; ${counts}` : counts);
  state.notice = null;
}

// --- drawing -----------------------------------------------------------------------------------

function number(v, digits = 5) {
  return v === null || v === undefined ? "–" : String(Number(v.toPrecision(digits)));
}

function drawFrame() {
  const frame = state.frame, data = state.data;
  byTestId("iteration").textContent = String(frame.iteration);
  byTestId("train-loss").textContent = number(frame.train_loss);
  byTestId("test-loss").textContent = number(frame.test_loss);
  byTestId("train-score").textContent = number(frame.train_score, 4);
  byTestId("test-score").textContent = number(frame.test_score, 4);
  byTestId("lr-now").textContent = number(frame.lr, 4);
  byTestId("dead").textContent = `${frame.dead.length} of ${data.hidden}`;
  if (data.n_inputs <= 2) {
    drawPlane(byTestId("boundary"), data, frame);
    drawUnits($("#units"), data, frame);
  } else {
    const unit = (j) => `h${j + 1}`;
    drawMatrix($("#activations"), "a", "a (samples × hidden units)", frame.activations, (i) => `sample ${i + 1}`, unit);
  }
  const feature = (i) => data.features[i] ?? `x${i + 1}`;
  const unit = (j) => `h${j + 1}`;
  const out = (k) => (data.classes || data.targets)[k] ?? `y${k + 1}`;
  const names = { w1: [feature, unit], w2: [unit, out], b1: [unit, unit], b2: [out, out] };
  if (data.n_inputs <= 12) {
    state.networkTargets = drawNetwork($("#network"), data, frame);
  } else {
    for (const [key, p] of Object.entries(frame.weights)) {
      const rows = key === "w1" && data.n_inputs > p.shape[0] ? ` (first ${p.shape[0]} inputs)` : "";
      drawMatrix($("#weight-matrices"), key, `${key} ${p.shape.join(" × ")}${rows}`, p, ...names[key]);
    }
  }
  for (const [key, p] of Object.entries(frame.grads)) {
    const norm = frame.grad_norms[key];
    drawMatrix($("#grads"), key, `G_${key}   ‖G_${key}‖ = ${number(norm, 3)}`, p, ...names[key]);
  }
  state.chart.draw();
}

function render() {
  if (state.dirty && state.frame && state.data) {
    state.dirty = false;
    drawFrame();
  }
  requestAnimationFrame(render);
}

// --- the derivations beside each view ----------------------------------------------------------

function slug(heading) {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").trim().replace(/ /g, "-");
}

async function openDoc(event) {
  event.preventDefault();
  const [path, anchor] = event.currentTarget.getAttribute("href").split("#");
  const text = $("#doc-text");
  try {
    const response = await fetch(path);
    if (!response.ok) throw new Error(response.statusText);
    const sections = (await response.text()).split(/\n(?=## )/);
    const section = sections.find((s) => s.startsWith("## ") && slug(s.split("\n")[0].slice(3)) === anchor);
    text.textContent = section || sections.join("\n");
  } catch (error) {
    text.textContent = `docs/backprop.md could not be read here (${error.message}); it is in the source repository.`;
  }
  $("#doc-dialog").showModal();
}

async function main() {
  state.options = await (await fetch("/api/options")).json();
  buildControls();
  const { settings, edits } = readHash();
  state.settings = { ...state.options.defaults, ...settings };
  state.edits = edits;
  showSettings();
  bindControls();
  state.chart = new LossChart($("#loss-chart"));
  connect();
  requestAnimationFrame(render);
}

main();
