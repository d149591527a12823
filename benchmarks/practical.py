"""Where users train: the estimators against scikit-learn's MLP and PyTorch eager, side by side.

Every model trains the estimators' default recipe on the same standardised float64 data: 100
ReLU units with biases, Adam at lr 1e-3, minibatches of 200 reshuffled every epoch, the L2
penalty alpha = 1e-4 (scikit-learn's default; PyTorch's ``weight_decay`` of alpha / 200 adds the
same gradient), softmax cross-entropy or half the squared error, for the same number of epochs:

=========  ===========================================  ======
workload   data                                         epochs
=========  ===========================================  ======
classify   50,000 x 100 -> 100 -> 10, labels of a linear  4
           teacher
regress    50,000 x 100 -> 100 -> 1, a ReLU teacher's     4
           outputs plus noise
digits     scikit-learn's digits, 1,797 x 64 -> 10        40
diabetes   scikit-learn's diabetes, 442 x 10 -> 1         100
=========  ===========================================  ======

The models take turns, in reversed order every other round; each row reports the median fit
time over the rounds, its ratio to twolayer's, and the training score (accuracy or R²) of its
last fit.  Below, on digits and diabetes (both bundled with scikit-learn), the training time
each model needs to reach a validation score (80/20 split), one epoch at a time (``partial_fit``
for the estimators; scoring is not timed).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TARGETED = ("classify", "regress", "digits")
"""The workloads the targets are judged on (diabetes is shown, not judged)."""
ALPHA = 1e-4
BATCH = 200
HIDDEN = 100
MODELS = ("twolayer", "scikit-learn MLP", "PyTorch eager")


@dataclass
class Data:
    """One workload: standardised float64 inputs, targets (labels, or values (N,)), epochs."""

    name: str
    x: np.ndarray
    y: np.ndarray
    classify: bool
    epochs: int
    shape: str


def standardised(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(axis=0)) / np.where(a.std(axis=0) > 0, a.std(axis=0), 1.0)


def workloads(names: list[str] | None = None) -> list[Data]:
    """The practical workloads, drawn (seeded) or loaded from scikit-learn."""
    from sklearn.datasets import load_diabetes, load_digits

    rng = np.random.default_rng(21)
    found = []
    x = rng.standard_normal((50_000, 100))
    labels = (x @ rng.standard_normal((100, 10))).argmax(axis=1)
    found.append(Data("classify", x, labels, True, 4, "50,000 x 100 -> 100 -> 10"))
    x = rng.standard_normal((50_000, 100))
    teacher = np.maximum(x @ rng.standard_normal((100, 20)), 0) @ rng.standard_normal(20)
    values = standardised((teacher + rng.standard_normal(50_000))[:, None])[:, 0]
    found.append(Data("regress", x, values, False, 4, "50,000 x 100 -> 100 -> 1"))
    dx, dy = load_digits(return_X_y=True)
    found.append(Data("digits", standardised(dx), dy, True, 40, "1,797 x 64 -> 100 -> 10"))
    bx, by = load_diabetes(return_X_y=True)
    target = standardised(by[:, None])[:, 0]
    found.append(Data("diabetes", standardised(bx), target, False, 100, "442 x 10 -> 100 -> 1"))
    return [d for d in found if names is None or d.name in names]


# --- the three models, each as make(data, epochs) -> a fitted predictor ---------------------


def fit_twolayer(data: Data, epochs: int) -> Any:
    from twolayer import TwoLayerClassifier, TwoLayerRegressor

    kind = TwoLayerClassifier if data.classify else TwoLayerRegressor
    # The estimators' own initial weights (uniform, PyTorch's scale): benchmarks/inits.py
    # compares them with He's and scikit-learn's Glorot scale on these workloads.
    model = kind(HIDDEN, iterations=epochs, alpha=ALPHA, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: every fit is short on purpose
        return model.fit(data.x, data.y)


def fit_sklearn(data: Data, epochs: int) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    kind = MLPClassifier if data.classify else MLPRegressor
    model = kind(hidden_layer_sizes=(HIDDEN,), max_iter=epochs, alpha=ALPHA, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data.x, data.y)


class TorchModel:
    """The recipe in PyTorch eager mode: ``nn.Sequential``, ``torch.optim.Adam``, float64."""

    def __init__(self, data: Data) -> None:
        import torch

        self.torch = torch
        torch.manual_seed(0)
        outputs = int(data.y.max()) + 1 if data.classify else 1
        self.net = torch.nn.Sequential(
            torch.nn.Linear(data.x.shape[1], HIDDEN), torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN, outputs),
        ).double()  # fmt: skip
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, weight_decay=ALPHA / BATCH)
        self.x = torch.from_numpy(data.x)
        self.y = torch.from_numpy(data.y if data.classify else data.y[:, None])
        self.classify = data.classify

    def epoch(self) -> None:
        torch = self.torch
        order = torch.randperm(len(self.x))
        for start in range(0, len(self.x), BATCH):
            idx = order[start : start + BATCH]
            out = self.net(self.x[idx])
            y = self.y[idx]
            if self.classify:
                loss = torch.nn.functional.cross_entropy(out, y)
            else:
                loss = 0.5 * torch.nn.functional.mse_loss(out, y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            out = self.net(self.torch.from_numpy(x)).numpy()
        return out.argmax(axis=1) if self.classify else out[:, 0]


def fit_torch(data: Data, epochs: int) -> Any:
    model = TorchModel(data)
    for _ in range(epochs):
        model.epoch()
    return model


FITS: dict[str, Callable[[Data, int], Any]] = {
    "twolayer": fit_twolayer,
    "scikit-learn MLP": fit_sklearn,
    "PyTorch eager": fit_torch,
}


def available() -> list[str]:
    """The models whose library is installed."""
    need = {"scikit-learn MLP": "sklearn", "PyTorch eager": "torch"}
    return [m for m in MODELS if m not in need or importlib.util.find_spec(need[m])]


def score(model: Any, x: np.ndarray, y: np.ndarray, classify: bool) -> float:
    """Accuracy, or R², of ``model``'s predictions."""
    pred = np.asarray(model.predict(x)).reshape(len(y))
    if classify:
        return float(np.mean(pred == y))
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Row:
    """One model on one workload: fit seconds of every round, its training score."""

    model: str
    times: list[float] = field(default_factory=list)
    score: float = float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def time_fits(data: Data, models: list[str], rounds: int) -> list[Row]:
    """Every model fitted ``rounds`` times, taking turns (reversed every other round)."""
    rows = {m: Row(m) for m in models}
    for model in models:  # warm-up: imports, first-call costs
        FITS[model](data, 1)
    for r in range(rounds):
        for model in models if r % 2 == 0 else models[::-1]:
            start = time.perf_counter()
            fitted = FITS[model](data, data.epochs)
            rows[model].times.append(time.perf_counter() - start)
            rows[model].score = score(fitted, data.x, data.y, data.classify)
    return list(rows.values())


GOALS = {"digits": 0.95, "diabetes": 0.45}
"""The validation score (accuracy, R²) each model is timed to, at most 200 epochs."""


def time_to_score(data: Data, model: str, goal: float, most: int = 200) -> tuple[float, int]:
    """Training seconds (scoring excluded) and epochs until ``model`` first reaches ``goal`` on
    a seeded 20% validation split; (inf, most) when it does not."""
    rng = np.random.default_rng(0)
    order = rng.permutation(len(data.x))
    cut = len(order) // 5
    val, fit = order[:cut], order[cut:]
    part = Data(data.name, data.x[fit], data.y[fit], data.classify, 1, data.shape)
    classes = np.unique(data.y) if data.classify else None
    spent = 0.0
    state: Any = None
    for epoch in range(1, most + 1):
        start = time.perf_counter()
        state = _one_more_epoch(model, part, state, classes)
        spent += time.perf_counter() - start
        if score(state, data.x[val], data.y[val], data.classify) >= goal:
            return spent, epoch
    return float("inf"), most


def _one_more_epoch(model: str, data: Data, state: Any, classes: Any) -> Any:
    """``state`` (None at first) trained one more epoch."""
    if model == "PyTorch eager":
        state = state or TorchModel(data)
        state.epoch()
        return state
    if state is None:
        state = {"twolayer": fit_twolayer, "scikit-learn MLP": fit_sklearn}[model](data, 1)
        return state
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data.classify:
            return state.partial_fit(data.x, data.y, classes=classes)
        return state.partial_fit(data.x, data.y)


# --- the section --------------------------------------------------------------------------


def measure(rounds: int, names: list[str] | None = None) -> dict[str, Any]:
    models = available()
    found: dict[str, Any] = {"rounds": rounds, "workloads": [], "to_score": []}
    for data in workloads(names):
        found["workloads"].append((data, time_fits(data, models, rounds)))
    for data in workloads([n for n in GOALS if names is None or n in names]):
        goal = GOALS[data.name]
        results = []
        for model in models:
            runs = [time_to_score(data, model, goal) for _ in range(rounds)]
            results.append((model, statistics.median(s for s, _ in runs), runs[-1][1]))
        found["to_score"].append((data, goal, results))
    return found


def worst_ratios(found: dict[str, Any]) -> dict[str, float]:
    """For each peer, the worst (largest) ratio of twolayer's median to its median over the
    three target workloads (classify, regress, digits)."""
    worst: dict[str, float] = {}
    for data, rows in found["workloads"]:
        if data.name not in TARGETED:
            continue
        ours = next(r for r in rows if r.model == "twolayer")
        for row in rows:
            if row.model != "twolayer":
                worst[row.model] = max(worst.get(row.model, 0.0), ours.median / row.median)
    return worst


def markdown(found: dict[str, Any], load: str) -> str:
    lines = [
        "## Practical: the estimators against scikit-learn's MLP and PyTorch eager",
        "",
        f"Written by `python benchmarks/speed.py` ({found['rounds']} rounds, the models "
        f"taking turns; {load}). The recipe and the workloads are in "
        "`benchmarks/practical.py`: 100 ReLU units with biases, Adam at 1e-3, minibatches of "
        "200, alpha 1e-4, float64, the same epochs for every model, each from its own "
        "initial weights (twolayer's estimators: uniform, PyTorch's scale). Seconds per fit, "
        "median (fastest - slowest); the ratio is twolayer's median over the row's; the score "
        "is the training accuracy or R² of the last fit.",
        "",
    ]
    for data, rows in found["workloads"]:
        ours = next(r for r in rows if r.model == "twolayer")
        head = "| model | seconds | twolayer / this | training score |\n|---|---|---|---|"
        lines += [f"### {data.name}: {data.shape}, {data.epochs} epochs", "", head]
        for row in rows:
            spread = f"{row.median:.3f} ({min(row.times):.3f} - {max(row.times):.3f})"
            lines.append(f"| {row.model} | {spread} | {ours.median / row.median:.2f} | "
                         f"{row.score:.4f} |")  # fmt: skip
        lines.append("")
    for data, goal, results in found["to_score"]:
        what = "accuracy" if data.classify else "R²"
        lines += [f"### Time to a validation {what} of {goal} on {data.name}", "",
                  "| model | training seconds (median) | epochs |", "|---|---|---|"]  # fmt: skip
        for model, seconds, epochs in results:
            shown = "not reached in 200 epochs" if seconds == float("inf") else f"{seconds:.3f}"
            lines.append(f"| {model} | {shown} | {epochs} |")
        lines.append("")
    lines += ["### Practical targets", "", "| target | figure | met |", "|---|---|---|"]
    limits = {"scikit-learn MLP": 0.50, "PyTorch eager": 0.70}
    for peer, value in worst_ratios(found).items():
        met = "met" if value <= limits[peer] else "**not met**"
        lines.append(f"| worst of classify, regress, digits: <= {limits[peer]:.2f}x {peer} | "
                     f"{value:.2f}x | {met} |")  # fmt: skip
    for data, rows in found["workloads"]:
        if data.name not in TARGETED:
            continue
        ours = next(r for r in rows if r.model == "twolayer")
        # A score above a peer's is no miss: the target bounds how far twolayer falls short.
        gap = max(0.0, max(r.score for r in rows) - ours.score)
        met = "met" if gap <= 0.01 else "**not met**"
        lines.append(f"| {data.name}: training score at most 0.01 below the best peer's | "
                     f"{gap:.4f} | {met} |")  # fmt: skip
    return "\n".join(lines) + "\n"


__all__ = ["FITS", "MODELS", "markdown", "measure", "workloads", "worst_ratios"]
