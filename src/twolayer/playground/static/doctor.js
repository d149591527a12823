// The training doctor's panel: a button asks the server what the doctor sees in the run so far
// (twolayer.outputs.doctor: step sizes, dead or saturated units, gradient growth, plateau,
// oscillation, overfitting), and each finding is shown as a line with what to change.

import { $, byTestId } from "./controls.js";

/** Bind the doctor button: `send(message)` sends a command to the server. */
export function bindDoctor(send) {
  byTestId("doctor").addEventListener("click", () => send({ cmd: "diagnose" }));
}

/** Show the findings of a `doctor` message (plain text: nothing is read as HTML). */
export function showDoctor(findings) {
  const list = $("#doctor-findings");
  list.replaceChildren(...findings.map((line) => {
    const item = document.createElement("li");
    item.textContent = `doctor: ${line}`;
    return item;
  }));
  list.hidden = findings.length === 0;
}
