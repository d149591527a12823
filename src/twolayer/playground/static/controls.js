// The page's controls apart from the connection: filling the choices, showing the settings, the
// labels that messages use, the features picker, the classroom link, and the derivations dialog.

import { CLASS_COLOURS } from "./views.js";
import { render } from "./markdown.js";

export const $ = (selector) => document.querySelector(selector);
export const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

const FEATURE_LABELS = {
  x1: "{0}", x2: "{1}", x1sq: "{0}²", x2sq: "{1}²", x1x2: "{0}·{1}", sinx1: "sin {0}", sinx2: "sin {1}",
};

function fill(select, values, labels = {}) {
  select.replaceChildren(...values.map((v) => new Option(labels[v] ?? v, v)));
}

export function buildControls(options) {
  const datasets = $('[name="dataset"]');
  datasets.replaceChildren();
  const groups = [
    ["2-D classification", options.datasets.classification],
    ["regression", options.datasets.regression],
    ["bundled (scikit-learn)", options.datasets.bundled],
  ];
  if (options.datasets.file) groups.unshift(["your file", ["file"]]);
  for (const [label, names] of groups) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const name of names) group.append(new Option(name === "file" ? options.datasets.file : name, name));
    datasets.append(group);
  }
  fill($('[name="activation"]'), options.activations);
  fill($('[name="optimizer"]'), options.optimizers);
  fill($('[name="schedule"]'), options.schedules);
  fill($('[name="init"]'), options.inits);
  fillLosses(options.losses.classification);
}

export function fillLosses(losses) {
  fill($('[name="loss"]'), ["", ...losses], { "": `default (${losses[0] === "cross_entropy" ? "cross_entropy" : "mse"})` });
}

/** Every control shows `settings`; the controls that do not apply to them are hidden. */
export function showSettings(options, settings) {
  for (const el of document.querySelectorAll(".controls [name]")) {
    const value = settings[el.name];
    if (value === undefined) continue;
    if (el.type === "checkbox") el.checked = value === "1";
    else el.value = value;
  }
  const drawn = [...options.datasets.classification, ...options.datasets.regression];
  const name = settings.dataset;
  for (const el of document.querySelectorAll(".drawn")) el.classList.toggle("hidden-control", !drawn.includes(name));
  $(".classes").classList.toggle("hidden-control", !["gaussians", "spiral"].includes(name));
  const schedule = settings.schedule;
  for (const el of document.querySelectorAll(".schedule-step")) el.classList.toggle("hidden-control", schedule !== "step");
  for (const el of document.querySelectorAll(".schedule-plateau")) el.classList.toggle("hidden-control", schedule !== "plateau");
  $(".schedule-floor").classList.toggle("hidden-control", !["plateau", "cosine"].includes(schedule));
  const chosen = (settings.features || "").split(",");
  for (const box of document.querySelectorAll("#feature-picker input")) box.checked = chosen.includes(box.value);
}

export function controlValue(el) {
  return el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value;
}

/** What the page calls each setting (its control's label), for messages. */
export function labels() {
  const out = {};
  for (const el of document.querySelectorAll(".controls [name]")) {
    const label = el.closest("label");
    const text = label ? [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(" ").trim() : "";
    if (text) out[el.name] = text;
  }
  out.features = "inputs of the network";
  return out;
}

/** A server message with each setting's name replaced by its label on the page. */
export function inPageWords(text, names) {
  return text.replace(/\b[a-z_]+\b/g, (word) => (names[word] && word !== names[word] ? `"${names[word]}"` : word));
}

/** A labelled checkbox: [label, input]. */
function checkbox(value, testid, text, onChange) {
  const label = document.createElement("label");
  label.className = "check";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.value = value;
  input.dataset.testid = testid;
  input.addEventListener("change", onChange);
  label.append(input, text);
  return [label, input];
}

/** One checkbox per feature of the two inputs (named after them); `onChange(list)` on a change. */
export function buildFeatures(options, data, onChange) {
  const picker = $("#feature-picker");
  picker.hidden = data.n_inputs !== 2;
  if (picker.hidden) return;
  const [a, b] = data.inputs;
  picker.replaceChildren(picker.firstElementChild);
  for (const key of options.features) {
    const text = FEATURE_LABELS[key].replace("{0}", a).replace("{1}", b);
    const [label, box] = checkbox(key, `feature-${key}`, text, () => {
      const chosen = [...picker.querySelectorAll("input:checked")].map((el) => el.value);
      if (!chosen.length) { box.checked = true; return; } // the network needs an input
      onChange(chosen.join(","));
    });
    label.classList.add("feature");
    box.checked = data.feature_keys.includes(key);
    picker.append(label);
  }
}

/** The class buttons of the click tools. */
export function buildClassPicker(data, chosen, onChoose) {
  const picker = $("#class-picker");
  picker.replaceChildren();
  if (data.task !== "classification") return;
  data.classes.forEach((name, k) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    button.style.background = CLASS_COLOURS[k % CLASS_COLOURS.length];
    button.classList.toggle("chosen", k === chosen);
    button.addEventListener("click", () => {
      onChoose(k);
      for (const b of picker.children) b.classList.toggle("chosen", b === button);
    });
    picker.append(button);
  });
}

// --- classroom mode: controls hidden by the URL -------------------------------------------------

const EXTRA_CONTROLS = {
  play: "play, pause and step", reset: "reset", regenerate: "regenerate", click: "clicking the plane",
  features: "inputs of the network", downloads: "downloads", lessons: "lessons", upload: "your file (upload)",
};

function elementsOf(name) {
  const found = [...document.querySelectorAll(`[data-control="${name}"]`)];
  const input = document.querySelector(`.controls [name="${name}"]`);
  if (input) found.push(input.closest("label"));
  if (name === "play") found.push(byTestId("play"), byTestId("pause"), byTestId("step"));
  if (name === "reset") found.push(byTestId("reset"));
  if (name === "downloads") found.push(byTestId("download-model"), byTestId("download-history"));
  if (name === "lessons") found.push(byTestId("lessons"));
  return found.filter(Boolean);
}

/** Hide the controls named in `hidden` (the URL's `hide=` list). */
export function applyHidden(hidden) {
  for (const el of document.querySelectorAll(".classroom-hidden")) el.classList.remove("classroom-hidden");
  for (const name of hidden) for (const el of elementsOf(name)) el.classList.add("classroom-hidden");
}

/** The classroom panel: a checkbox per control; `link(hidden)` makes the link shown. */
export function buildClassroom(link) {
  const names = { ...labels(), ...EXTRA_CONTROLS };
  const box = $("#classroom-controls");
  box.replaceChildren();
  const update = () => {
    const hidden = [...box.querySelectorAll("input:checked")].map((el) => el.value);
    $("#classroom-link").value = link(hidden);
  };
  for (const [name, text] of Object.entries(names)) box.append(checkbox(name, `hide-${name}`, text, update)[0]);
  $("#classroom").addEventListener("toggle", update);
  return update;
}

// --- the derivations beside each view -----------------------------------------------------------

function slug(heading) {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").trim().replace(/ /g, "-");
}

/** The row of backprop.md's table of losses for `loss`: [name, value, G_y_pred]. */
function lossRow(sections, loss) {
  const table = sections.find((s) => s.startsWith("## The other losses")) || "";
  const row = table.split("\n").find((line) => line.startsWith(`| \`${loss}\``));
  return row ? row.split("|").slice(1, 4).map((c) => c.trim().replace(/`/g, "")) : null;
}

/** Open the dialog on the section of backprop.md that a "what am I looking at?" link names,
 * rendered; when the run's loss is not the seed's sse, a note gives its own formulas. */
export async function openDoc(event, loss) {
  event.preventDefault();
  const [path, anchor] = event.currentTarget.getAttribute("href").split("#");
  const text = $("#doc-text"), note = $("#doc-note");
  note.hidden = true;
  try {
    const response = await fetch(path);
    if (!response.ok) throw new Error(response.statusText);
    const sections = (await response.text()).split(/\n(?=## )/);
    const section = sections.find((s) => s.startsWith("## ") && slug(s.split("\n")[0].slice(3)) === anchor);
    text.replaceChildren(...render(section || sections.join("\n")));
    const row = loss && loss !== "sse" ? lossRow(sections, loss) : null;
    if (row && section && /forward pass|backward pass/.test(section.split("\n")[0])) {
      note.replaceChildren(...render(`This run trains with \`${loss}\`, not the seed's \`sse\` shown below: `
        + `its loss is \`${row[1]}\`, and step 1 of the backward pass is \`G_y_pred = ${row[2]}\`; `
        + "the other steps are the same."));
      note.hidden = false;
    }
  } catch (error) {
    text.textContent = `docs/backprop.md could not be read here (${error.message}); it is in the source repository.`;
  }
  $("#doc-dialog").showModal();
}
