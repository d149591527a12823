"""What a notebook shows for a result or a model: a small HTML table and a loss curve drawn as
inline SVG, by this module's own few lines (no plotting library, nothing fetched).

:class:`twolayer.state.TrainResult` and :class:`twolayer.outputs.trained.Model` return
:func:`summary_html` from their ``_repr_html_``, which Jupyter calls to show them.  Every piece of
text is escaped, so a label or a stop reason can hold ``<`` or ``&`` and still show as written.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH, HEIGHT = 320, 120
"""The curve's size in pixels."""

MAX_POINTS = 400
"""A curve of more iterations is thinned to this many points (the first and last always kept)."""

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")
"""One colour per curve, in order: training, validation, a third."""


def thin(values: Sequence[float], most: int = MAX_POINTS) -> list[tuple[int, float]]:
    """``(iteration, value)`` pairs of the finite values, at most ``most`` of them, evenly
    spread, the first and the last kept."""
    points = [(i, float(v)) for i, v in enumerate(values) if math.isfinite(v)]
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[round(k * step)] for k in range(most)]


def loss_curve_svg(
    curves: Sequence[tuple[str, Sequence[float]]], *, width: int = WIDTH, height: int = HEIGHT
) -> str:
    """An ``<svg>`` element with one line per ``(label, values)`` curve, value against iteration.

    The vertical axis is logarithmic when every value is positive (a loss falls over orders of
    magnitude) and the lowest and highest values label it.  Empty when no curve has a finite
    value.
    """
    series = [(label, thin(values)) for label, values in curves]
    series = [(label, points) for label, points in series if points]
    if not series:
        return ""
    every = [v for _, points in series for _, v in points]
    log = min(every) > 0
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo, hi = scale(min(every)), scale(max(every))
    last = max(i for _, points in series for i, _ in points)
    left, right, top, bottom = 64, 8, 8, 18  # the margins: labels left and below
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(i: int, v: float) -> str:
        x = left + (plot_w * i / last if last else plot_w / 2)
        y = top + (plot_h * (hi - scale(v)) / (hi - lo) if hi > lo else plot_h / 2)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="10">',
        f"<title>{_text(' and '.join(label for label, _ in series))}"
        f"{' (log scale)' if log else ''}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#ccc"/>',
        _label(left - 4, top + 8, "end", f"{max(every):.3g}"),
        _label(left - 4, top + plot_h, "end", f"{min(every):.3g}"),
        _label(left, height - 4, "start", "0"),
        _label(left + plot_w, height - 4, "end", f"iteration {last}"),
    ]
    for (label, points), color in zip(series, COLORS, strict=False):
        line = " ".join(xy(i, v) for i, v in points)
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{line}">'
            f"<title>{_text(label)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


def summary_html(title: str, fields: Sequence[tuple[str, object]], svg: str = "") -> str:
    """A titled two-column table of ``fields`` (name, value; None values left out), with
    ``svg`` (from :func:`loss_curve_svg`) beside it."""
    rows = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{_text(name)}</th>'
        f'<td style="text-align:left">{_text(_value(value))}</td></tr>'
        for name, value in fields
        if value is not None
    )
    curve = f'<div style="flex:none">{svg}</div>' if svg else ""
    return (
        '<div class="twolayer-summary" style="display:flex;gap:1.5em;align-items:flex-start">'
        f"<div><strong>{_text(title)}</strong><table>{rows}</table></div>{curve}</div>"
    )


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple | list):
        return (
            " × ".join(str(v) for v in value)
            if all(isinstance(v, int) for v in value)
            else (", ".join(str(v) for v in value))
        )
    return str(value)


def _label(x: float, y: float, anchor: str, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="#555">{_text(text)}</text>'


def _text(text: str) -> str:
    return html.escape(text, quote=True)


__all__ = ["MAX_POINTS", "loss_curve_svg", "summary_html", "thin"]
