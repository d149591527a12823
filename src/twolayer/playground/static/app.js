// The playground page: the URL hash that holds every setting, the WebSocket to the server that
// trains (reconnecting when it drops), and the drawing of each frame (once per animation frame,
// the latest only).

import { LossChart } from "./chart.js";
import {
  $, applyHidden, buildClassPicker, buildClassroom, buildControls, buildFeatures, byTestId,
  controlValue, fillLosses, inPageWords, labels, openDoc, showSettings,
} from "./controls.js";
import { loadLessons, showLesson } from "./lessons.js";
import { colourBar, drawPlane, eventPosition, fromCanvas, showLegend, toCanvas } from "./plane.js";
import { bindHighlight, drawTrace } from "./trace.js";
import { bindDoctor, showDoctor } from "./doctor.js";
import { bindUpload } from "./upload.js";
import { drawMatrix, drawNetwork, drawUnits, hideTip, nearest, showTip } from "./views.js";

const VIEW_KEYS = { discrete: "discrete", showTest: "show_test" };

const state = {
  options: null, // what /api/options offers: choices, defaults, which settings reset
  settings: {}, // every setting as text, as the URL hash holds it
  edits: "", // the clicked points, in the hash's form
  hide: [], // classroom mode: the controls the URL hides
  lesson: null, // the lesson the URL names
  view: { discrete: false, showTest: true, unit: null }, // how the page draws, not the run
  data: null, // the last data message: points, names, task, sizes
  frame: null, // the last frame
  dirty: false, // something to draw since the last drawing
  socket: null,
  session: null, // this page's session on the server (downloads and uploads name it)
  connected: false,
  retry: 0, // reconnection attempts since the connection dropped
  playing: false,
  chosenClass: 0,
  notice: null, // why the network was reset, said with the data that follows
  networkTargets: [],
  editing: null, // the weight the editor sets
  chart: null,
  names: {}, // each setting's label on the page
};

// --- the URL hash ----------------------------------------------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {};
  const special = new Set(["edits", "hide", "lesson", ...Object.values(VIEW_KEYS)]);
  for (const [key, value] of params) if (!special.has(key)) settings[key] = value;
  return {
    settings,
    edits: params.get("edits") || "",
    hide: (params.get("hide") || "").split(",").filter(Boolean),
    lesson: params.get("lesson"),
    view: { discrete: params.get("discrete") === "1", showTest: params.get("show_test") !== "0" },
  };
}

function hashOf(hide = state.hide) {
  const params = new URLSearchParams(state.settings);
  if (state.edits) params.set("edits", state.edits);
  if (state.view.discrete) params.set("discrete", "1");
  if (!state.view.showTest) params.set("show_test", "0");
  if (hide.length) params.set("hide", hide.join(","));
  if (state.lesson) params.set("lesson", state.lesson);
  return `#${params}`;
}

function writeHash() {
  history.replaceState(null, "", hashOf());
}

async function fromHash() {
  const { settings, edits, hide, lesson, view } = readHash();
  const lessons = await loadLessons();
  state.lesson = lessons[lesson] ? lesson : null;
  const fresh = state.lesson && !("dataset" in settings); // a lesson's link: its own settings
  state.settings = { ...state.options.defaults, ...settings, ...(fresh ? lessons[lesson].settings : {}) };
  state.edits = edits;
  state.hide = hide;
  Object.assign(state.view, view, { unit: null });
  applyHidden(hide);
  showLesson($("#lesson"), lessons[state.lesson], (changes, reset) => {
    send({ cmd: "settings", settings: changes });
    if (reset) send({ cmd: "reset" });
  });
  for (const box of document.querySelectorAll("[data-view]")) box.checked = state.view[box.dataset.view];
}

// --- controls --------------------------------------------------------------------------------

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
  for (const box of document.querySelectorAll("[data-view]")) {
    box.addEventListener("change", () => {
      state.view[box.dataset.view] = box.checked;
      writeHash();
      state.dirty = true;
    });
  }
  byTestId("play").addEventListener("click", () => send({ cmd: "play" }));
  byTestId("pause").addEventListener("click", () => send({ cmd: "pause" }));
  byTestId("step").addEventListener("click", () => send({ cmd: "step" }));
  byTestId("reset").addEventListener("click", () => send({ cmd: "reset" }));
  byTestId("regenerate").addEventListener("click", () => {
    send({ cmd: "settings", settings: { seed: String((Number(state.settings.seed) + 1) % 4294967296) } });
  });
  byTestId("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      say("link copied: it restores every setting and clicked point");
    } catch {
      say("copy the address bar: it holds every setting");
    }
  });
  byTestId("boundary").addEventListener("click", onPlaneClick);
  byTestId("trace-close").addEventListener("click", () => send({ cmd: "follow", point: null }));
  const network = $("#network");
  const where = (event) => {
    const box = network.getBoundingClientRect();
    const scale = parseFloat(network.style.width) / box.width || 1;
    return [(event.clientX - box.left) * scale, (event.clientY - box.top) * scale];
  };
  network.addEventListener("mousemove", (event) => {
    const target = nearest(state.networkTargets, ...where(event));
    if (target) showTip(event, target.text); else hideTip();
  });
  network.addEventListener("mouseleave", hideTip);
  network.addEventListener("click", (event) => {
    const target = nearest(state.networkTargets, ...where(event));
    if (target && target.param) openWeightEditor(target.param, event);
  });
  $("#weight-editor").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Number($("#weight-value").value);
    if (state.editing && Number.isFinite(value)) {
      send({ cmd: "weight", name: state.editing.name, index: state.editing.index, value });
    }
    $("#weight-editor").hidden = true;
  });
  $("#weight-editor").addEventListener("keydown", (event) => { if (event.key === "Escape") $("#weight-editor").hidden = true; });
  for (const link of document.querySelectorAll("a.doc")) link.addEventListener("click", (event) => openDoc(event, state.data && state.data.loss));
  bindHighlight($("#trace-graph"), $("#trace-math"));
  window.addEventListener("hashchange", async () => {
    await fromHash();
    send({ cmd: "start", settings: state.settings, edits: state.edits });
  });
}

/** The server read the page's own file: offer it as the dataset "file" and train on it. */
function onUpload(reply) {
  state.options.datasets.file = reply.name;
  buildControls(state.options);
  const target = reply.columns[reply.target - 1] ?? "y";
  state.notice = `${reply.name}: ${reply.rows} rows, ${reply.inputs} inputs to the network, target ${target} (${reply.task})`;
  send({ cmd: "start", settings: { ...state.settings, dataset: "file" }, edits: "" });
}

function openWeightEditor(param, event) {
  state.editing = param;
  const editor = $("#weight-editor");
  $("#weight-name").textContent = param.label;
  $("#weight-value").value = String(Number(param.value.toPrecision(6)));
  const box = $("#network").getBoundingClientRect();
  editor.style.left = `${Math.min(event.clientX - box.left, box.width - 200)}px`;
  editor.style.top = `${event.clientY - box.top + 12}px`;
  editor.hidden = false;
  $("#weight-value").select();
}

function onPlaneClick(event) {
  const data = state.data;
  if (!data || !data.extent) return;
  const point = fromCanvas(data.extent, ...eventPosition(event.currentTarget, event));
  if (!point) return;
  const [u, v] = point;
  const n = (x) => Number(x.toPrecision(4));
  const follow = document.querySelector('input[name="click-mode"]:checked').value === "follow";
  if (follow && !event.shiftKey) {
    send({ cmd: "follow", point: data.n_inputs === 2 ? [u, v] : [u] });
    return;
  }
  if (!data.editable) return;
  let edit;
  if (event.shiftKey) edit = data.n_inputs === 2 ? `r,${n(u)},${n(v)}` : `r,${n(u)}`;
  else if (data.n_inputs === 1) edit = `a,${n(u)},${n(v)}`;
  else if (data.task === "classification") edit = `a,${n(u)},${n(v)},${state.chosenClass}`;
  else edit = `a,${n(u)},${n(v)},${Number($("#edit-value").value) || 0}`;
  send({ cmd: "edit", edit });
}

// --- messages ----------------------------------------------------------------------------------

function say(text, error = false) {
  const el = $("#message");
  el.textContent = text ? inPageWords(text, state.names) : "";
  el.classList.toggle("error", error);
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

/** Controls work only while connected: a dropped connection disables them until it is back. */
function setConnected(connected) {
  state.connected = connected;
  document.body.classList.toggle("offline", !connected);
  for (const el of document.querySelectorAll("main input, main select, main button, header button")) {
    el.disabled = !connected;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.addEventListener("open", () => {
    state.retry = 0;
    setConnected(true);
    send({ cmd: "start", settings: state.settings, edits: state.edits });
  });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    const wasConnected = state.connected;
    setConnected(false);
    setPlaying(false);
    state.retry += 1;
    setTimeout(async () => {
      if (wasConnected || state.retry % 3 === 1) say(await whyOffline(), true);
      connect();
    }, Math.min(5000, 500 * state.retry));
  });
}

/** Why the connection is down: the server is gone, or it came back with another token. */
async function whyOffline() {
  try {
    const response = await fetch("/api/options", { cache: "no-store" });
    if (response.status === 403) {
      return "twolayer playground restarted with a new token: open the address it printed; this page reconnects once this browser has it";
    }
  } catch { /* the server is not answering */ }
  return "the connection to twolayer playground was lost: is it still running? This page reconnects by itself when it is back";
}

function setPlaying(playing) {
  const focused = document.activeElement;
  state.playing = playing;
  byTestId("play").hidden = playing;
  byTestId("pause").hidden = !playing;
  if (focused === byTestId("play") && playing) byTestId("pause").focus(); // the key goes on working
  if (focused === byTestId("pause") && !playing) byTestId("play").focus();
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
      if (message.iteration === 0 && !message.records.length && state.data) state.chart.reset(state.data.loss);
      state.frame = message;
      state.chart.add(message.records);
      if (message.diverged && message.diverged[1] !== null && !state.chart.has(message.diverged[0])) {
        state.chart.add([[message.diverged[0], message.diverged[1], null]]); // the loss that stopped it
      }
      state.dirty = true;
      if (message.status === "error") say(message.error, true);
      else if (message.status === "finished") say(`the run reached iteration ${message.iteration}, where "stop at iteration" ends it: raise it to go on`);
      break;
    case "playing":
      setPlaying(message.playing);
      if (message.playing && !$("#message").classList.contains("error")) say("");
      break;
    case "settings":
      state.settings = message.settings;
      writeHash();
      showSettings(state.options, state.settings);
      break;
    case "reset": // the data message that follows shows it
      state.notice = message.because === "data"
        ? "new data: the points were drawn (or loaded) again and the network starts afresh"
        : "that setting changes the network itself: it was rebuilt from new starting weights (reset)";
      break;
    case "doctor":
      showDoctor(message.findings);
      break;
    case "error":
      say(message.message, true);
      showSettings(state.options, state.settings);
      break;
  }
}

function onData(data) {
  state.data = data;
  state.settings = data.settings;
  state.edits = data.edits;
  writeHash();
  fillLosses(data.losses);
  showSettings(state.options, state.settings);
  $("#edit-tools").hidden = data.n_inputs > 2;
  $("#value-picker").hidden = data.task === "classification" || data.n_inputs !== 2 || !data.editable;
  $("#edit-value-label").textContent = data.task === "classification" ? " of" : data.n_inputs === 1 ? " where you click" : " of this value";
  state.chosenClass = Math.min(state.chosenClass, (data.classes || [0]).length - 1);
  buildClassPicker(data, state.chosenClass, (k) => { state.chosenClass = k; });
  buildFeatures(state.options, data, (features) => send({ cmd: "settings", settings: { features } }));
  const plane = data.n_inputs <= 2;
  $("#plane-view").hidden = !plane;
  $("#units-view").hidden = !plane;
  $("#activations-view").hidden = plane;
  for (const id of ["#units", "#weight-matrices", "#activations", "#grads"]) $(id).replaceChildren();
  const lines = data.d_in <= 12;
  $("#network").hidden = !lines;
  $("#weight-matrices").hidden = lines;
  $("#weight-editor").hidden = true;
  const regression = data.task === "regression";
  $("#plane-title").textContent = data.n_inputs === 1 ? "fitted curve" : regression ? "fitted surface" : "decision boundary";
  $("#score-name").textContent = data.metric;
  $("#loss-title").textContent = `loss: ${data.loss}`;
  const counts = `${data.n_train} training and ${data.n_test} test points, ${data.n_inputs} input${data.n_inputs === 1 ? "" : "s"}, ${data.hidden} hidden units`;
  if (data.problems && data.problems.length) { // a link's settings that did not fit: said until the next change
    say(`the link's ${data.problems.join("; ")}: left at their defaults, every other setting kept`, true);
  } else {
    say(state.notice ? `${state.notice}; ${counts}` : counts);
  }
  state.notice = null;
  state.dirty = true;
}

// --- drawing -----------------------------------------------------------------------------------

/** A readout: 5 significant digits, powers of ten from 1e6 on and below 1e-4. */
function number(v, digits = 5) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(digits)));
}

function followedPosition(data, trace) {
  if (!trace || !data.extent) return null;
  const set = trace.set === "train" ? data.train : data.test;
  const p = set.x[trace.index];
  return p.length === 2 ? toCanvas(data.extent, p[0], p[1]) : toCanvas(data.extent, p[0], set.y[trace.index]);
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
  const unit = (j) => `h${j + 1}`;
  if (data.n_inputs <= 2) {
    const view = { ...state.view, follow: followedPosition(data, frame.trace) };
    const legend = drawPlane(byTestId("boundary"), data, frame, view);
    showLegend($("#plane-legend"), legend);
    $("#plane-title").textContent = state.view.unit !== null ? `hidden unit h${state.view.unit + 1} over the plane`
      : data.n_inputs === 1 ? "fitted curve" : data.task === "regression" ? "fitted surface" : "decision boundary";
    const scale = drawUnits($("#units"), data, frame, (j) => { state.view.unit = j; state.dirty = true; });
    const legendBox = $("#units-legend");
    legendBox.replaceChildren();
    colourBar(legendBox, -scale, scale, "a = f(h), one scale for every unit (hover one to see it large on the plane)");
  } else {
    drawMatrix($("#activations"), "a", "a (samples × hidden units)", frame.activations, (i) => `sample ${i + 1}`, unit);
  }
  const trace = frame.trace;
  $("#trace-view").hidden = !trace;
  if (trace) $("#trace-title").textContent = `: ${drawTrace($("#trace-graph"), $("#trace-math"), trace, data)}`;
  const feature = (i) => data.features[i] ?? `x${i + 1}`;
  const out = (k) => (data.classes || data.targets)[k] ?? `y${k + 1}`;
  const names = { w1: [feature, unit], w2: [unit, out], b1: [unit, unit], b2: [out, out] };
  if (data.d_in <= 12) {
    state.networkTargets = drawNetwork($("#network"), data, frame);
  } else {
    for (const [key, p] of Object.entries(frame.weights)) {
      const rows = key === "w1" && data.d_in > p.shape[0] ? ` (first ${p.shape[0]} inputs)` : "";
      drawMatrix($("#weight-matrices"), key, `${key} ${p.shape.join(" × ")}${rows}`, p, ...names[key]);
    }
  }
  for (const [key, p] of Object.entries(frame.grads)) {
    const norm = frame.grad_norms[key];
    drawMatrix($("#grads"), `G_${key}`, `G_${key}   ‖G_${key}‖ = ${number(norm, 3)}`, p, ...names[key]);
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

window.twolayerPlayground = state; // what the browser tests read: the data, the frame, the targets

async function main() {
  state.options = await (await fetch("/api/options")).json();
  buildControls(state.options);
  state.names = labels();
  await fromHash();
  showSettings(state.options, state.settings);
  bindControls();
  bindUpload(state.options.upload.limit, () => state.session, onUpload, say);
  bindDoctor(send);
  buildClassroom((hide) => `${location.origin}/${hashOf(hide)}`);
  state.chart = new LossChart($("#loss-chart"));
  connect();
  requestAnimationFrame(render);
}

main();
