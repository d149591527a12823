// "Follow one sample": the chosen point's way through the network, x -> h -> a -> y_pred -> loss,
// with the value and the gradient on every node, each tied to the line of the math that
// computes it (hover a node or a line: both light up). The server computed every number with
// twolayer's own forward, loss and backward (twolayer/playground/trace.py).

import { fmt } from "./plane.js";

const SHOWN = 16; // hidden units shown in full; the rest are counted

const LOSSES = {
  sse: ["L = Σ_k (ŷ_k − y_k)²", "G_ŷ = ∂L/∂ŷ = 2 (ŷ − y)"],
  mse: ["L = Σ_k (ŷ_k − y_k)² / D_out", "G_ŷ = ∂L/∂ŷ = 2 (ŷ − y) / D_out"],
  half_mse: ["L = Σ_k (ŷ_k − y_k)² / 2", "G_ŷ = ∂L/∂ŷ = ŷ − y"],
  cross_entropy: ["p = softmax(ŷ),  L = −Σ_k y_k log p_k", "G_ŷ = ∂L/∂ŷ = p − y"],
};

const DERIVATIVES = {
  relu: "f′(h) = 1 where h > 0, else 0",
  leaky_relu: "f′(h) = 1 where h > 0, else 0.01",
  tanh: "f′(h) = 1 − a²",
  logistic: "f′(h) = a (1 − a)",
  identity: "f′(h) = 1",
};

/** The math, one line per step, keyed as the nodes refer to them. */
function lines(trace) {
  const [loss, gradient] = LOSSES[trace.loss_name] || [`L = ${trace.loss_name}(ŷ, y)`, "G_ŷ = ∂L/∂ŷ"];
  return [
    ["h", "h = x @ w1 + b1", "forward: each hidden unit sums its weighted inputs"],
    ["a", `a = f(h),  f = ${trace.activation}`, "forward: the activation, unit by unit"],
    ["y", "ŷ = a @ w2 + b2", "forward: the outputs sum the weighted activations"],
    ["loss", loss, "this one sample's loss (a batch of one)"],
    ["Gy", gradient, "backward step 1: the loss's slope at the prediction"],
    ["Ga", "G_a = G_ŷ @ w2.T", "backward step 3: each unit's share, through w2"],
    ["Gh", `G_h = G_a * f′(h),  ${DERIVATIVES[trace.activation] || "f′ of the activation"}`, "backward step 4: zero where a ReLU is off"],
    ["Gw", "G_w2 = a.T @ G_ŷ,  G_w1 = x.T @ G_h", "backward steps 2 and 5: this sample's part of each weight's gradient"],
  ];
}

function node(name, value, line, grad = null, gradLine = null, extra = "") {
  const div = document.createElement("div");
  div.className = `node${extra}`;
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const v = document.createElement("span");
  v.className = "value";
  v.dataset.line = line;
  v.textContent = `= ${fmt(value)}`;
  v.title = String(value);
  div.append(label, v);
  if (grad !== null) {
    const g = document.createElement("span");
    g.className = "grad";
    g.dataset.line = gradLine;
    g.textContent = `∂L/∂${name} = ${fmt(grad)}`;
    g.title = String(grad);
    div.append(g);
  }
  return div;
}

function column(title, line, nodes) {
  const div = document.createElement("div");
  div.className = "column";
  const head = document.createElement("div");
  head.className = "head";
  head.dataset.line = line;
  head.textContent = title;
  div.append(head, ...nodes);
  return div;
}

/** Draw the trace of the followed sample into `graph` and its math into `math`. */
export function drawTrace(graph, math, trace, data) {
  const H = trace.h.length;
  const shown = Math.min(H, SHOWN);
  const units = (values, grads, prefix, line, gradLine) => {
    const out = [];
    for (let j = 0; j < shown; j++) {
      const off = trace.activation === "relu" && trace.h[j] <= 0 && prefix === "h" ? " off" : "";
      out.push(node(`${prefix}${j + 1}`, values[j], line, grads[j], gradLine, off));
    }
    if (H > shown) {
      const more = document.createElement("div");
      more.className = "more";
      more.textContent = `… and ${H - shown} more units`;
      out.push(more);
    }
    return out;
  };
  const outNames = data.classes || data.targets;
  const outputs = trace.y_pred.map((v, k) => node(`ŷ${k + 1}`, v, "y", trace.G_y_pred[k], "Gy", ` out-${k}`));
  if (trace.p) trace.p.forEach((v, k) => outputs.push(node(`p(${outNames[k]})`, v, "loss")));
  const inputs = trace.x.map((v, i) => node(data.features[i] ?? `x${i + 1}`, v, "h"));
  const target = trace.target.map((v, k) => node(`y(${outNames[k] ?? k})`, v, "loss"));
  graph.replaceChildren(
    column("x (inputs)", "h", inputs),
    column("h = x @ w1 + b1", "h", units(trace.h, trace.G_h, "h", "h", "Gh")),
    column("a = f(h)", "a", units(trace.a, trace.G_a, "a", "a", "Ga")),
    column("ŷ = a @ w2 + b2", "y", outputs),
    column("loss", "loss", [node("L", trace.loss, "loss"), ...target]),
  );
  math.replaceChildren(...lines(trace).map(([key, formula, note]) => {
    const li = document.createElement("li");
    li.dataset.line = key;
    const code = document.createElement("code");
    code.textContent = formula;
    const small = document.createElement("small");
    small.textContent = ` ${note}`;
    li.append(code, small);
    return li;
  }));
  const where = trace.point.map((v) => fmt(v)).join(", ");
  return `${trace.set === "train" ? "training" : "test"} point ${trace.index + 1} at (${where})`;
}

/** Light up every element tied to the line under the mouse (in the graph or the math). */
export function bindHighlight(...containers) {
  const light = (key) => {
    for (const c of containers) {
      for (const el of c.querySelectorAll("[data-line]")) el.classList.toggle("lit", key !== null && el.dataset.line === key);
    }
  };
  for (const c of containers) {
    c.addEventListener("mouseover", (event) => {
      const el = event.target.closest("[data-line]");
      light(el ? el.dataset.line : null);
    });
    c.addEventListener("mouseleave", () => light(null));
  }
}
