"""Which inputs a trained model leans on: gradient times input, averaged over rows.

:func:`importance` ranks the network's input columns by the mean size of their attribution
(:meth:`twolayer.outputs.trained.Model.attributions`: the input gradient times the input's
distance from the training mean) on the answer that matters for each row: the probability of
the class predicted for it, or each regression target (averaged over targets).  It is a local,
first-order account: it says how the answers move near the rows given, not what the model
would do without a column.  :func:`draw_importance` draws the ranking (matplotlib).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from twolayer.outputs.plot import require_matplotlib
from twolayer.outputs.trained import Model

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Importance:
    """One input column's part in the answers over some rows.

    Attributes
    ----------
    name : the network's input column (a table's encoded input, ``Island=Biscoe``).
    importance : the mean over rows of ``|gradient * (input - training mean)|``.
    gradient : the mean over rows of the gradient, in answer units per input unit.
    """

    name: str
    importance: float
    gradient: float


def importance(model: Model, x: Any, notes: list[str] | None = None) -> list[Importance]:
    """The input columns of ``model`` ranked by their mean attribution over the rows ``x``
    (raw inputs, as :meth:`Model.predict` takes them), largest first."""
    attr = model.attributions(x, notes)  # (N, D_in, K)
    grads = model.input_gradients(x)  # (N, D_in, K)
    if model.task == "classification":
        chosen = np.argmax(model.outputs(x), axis=1)  # the predicted class of each row
        rows = np.arange(attr.shape[0])
        attr, grads = attr[rows, :, chosen][:, :, None], grads[rows, :, chosen][:, :, None]
    sizes = np.abs(attr).mean(axis=(0, 2))  # (D_in,)
    slopes = grads.mean(axis=(0, 2))
    names = _feature_names(model)
    ranked = sorted(range(len(names)), key=lambda j: (-sizes[j], j))
    return [Importance(names[j], float(sizes[j]), float(slopes[j])) for j in ranked]


def _feature_names(model: Model) -> tuple[str, ...]:
    encoding = model.preprocessing.encoding
    if encoding is not None:
        return encoding.feature_names
    return model.feature_names or tuple(f"x{j + 1}" for j in range(model.n_features))


def draw_importance(ranked: list[Importance], *, title: str = "") -> Figure:
    """A horizontal bar chart of ``ranked`` (the largest at the top)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 1.2 + 0.3 * len(ranked)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    names = [r.name for r in ranked][::-1]
    ax.barh(names, [r.importance for r in ranked][::-1], color="tab:blue")
    ax.set_xlabel("mean |gradient x (input - training mean)|")
    ax.grid(True, axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


__all__ = ["Importance", "draw_importance", "importance"]
