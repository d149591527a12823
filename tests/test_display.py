"""The HTML a notebook shows for a result, a model and an estimator (twolayer.display)."""

from __future__ import annotations

import itertools
import math
import re
from xml.etree import ElementTree

import numpy as np
import pytest

from twolayer import SeedProblem, TrainConfig, seed_draws, train
from twolayer._version import SITE_FROM_A_PAGE, documentation_root
from twolayer.display import loss_curve_svg, summary_html, thin

SVG = "{http://www.w3.org/2000/svg}"


def polyline_points(svg: str) -> list[list[tuple[float, float]]]:
    root = ElementTree.fromstring(svg)  # well-formed XML, or this raises
    return [
        [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]  # type: ignore[misc]
        for line in root.iter(f"{SVG}polyline")
    ]


def test_thin_keeps_first_and_last_and_drops_non_finite_values() -> None:
    values = [float(v) for v in range(1000)]
    values[3] = math.nan
    points = thin(values, most=50)
    assert len(points) == 50
    assert points[0] == (0, 0.0) and points[-1] == (999, 999.0)
    assert all(i != 3 for i, _ in points)
    assert thin([1.0, math.inf, 2.0]) == [(0, 1.0), (2, 2.0)]


def test_a_falling_loss_falls_on_the_drawing_on_a_log_scale() -> None:
    svg = loss_curve_svg([("loss", [1e6, 1e4, 1e2, 1.0])])
    (line,) = polyline_points(svg)
    ys = [y for _, y in line]
    assert ys == sorted(ys)  # SVG's y grows downward: each loss lower than the one before
    steps = [b - a for a, b in itertools.pairwise(ys)]
    assert steps == pytest.approx([steps[0]] * 3, abs=0.11)  # equal decades, equal steps
    assert "log scale" in svg and "1e+06" in svg


def test_a_curve_with_a_negative_value_is_drawn_on_a_linear_scale() -> None:
    (line,) = polyline_points(loss_curve_svg([("score", [-1.0, 0.0, 1.0])]))
    ys = [y for _, y in line]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.11)


def test_nothing_to_draw_draws_nothing() -> None:
    assert loss_curve_svg([("loss", [])]) == ""
    assert loss_curve_svg([("loss", [math.nan])]) == ""


def test_every_text_is_escaped() -> None:
    svg = loss_curve_svg([("<b>x</b> & y", [2.0, 1.0])])
    ElementTree.fromstring(svg)
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt; &amp; y" in svg
    page = summary_html("<T>", [("a<", "<script>alert(1)</script>"), ("left out", None)], svg)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;T&gt;" in page
    assert "left out" not in page


def test_a_train_result_shows_its_final_loss_stop_reason_and_curves() -> None:
    problem = SeedProblem(n=16, d_in=20, hidden=8, d_out=3)
    x, y, params = seed_draws(0, problem)
    config = TrainConfig(iterations=30, lr=1e-3, validation_fraction=0.25)
    result = train(x, y, config, params)
    page = result._repr_html_()
    assert f"{result.history[-1].loss:.6g}" in page
    assert f"{result.history[-1].val_loss:.6g}" in page
    assert ">completed<" in page and "20 × 8 × 3" in page and "gd, lr 0.001" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    training, validation = polyline_points(svg)
    assert len(training) == len(validation) == 30


def test_a_model_shows_its_curve_from_a_fit_and_from_its_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    from twolayer import TwoLayerRegressor, load_model, save_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    est = TwoLayerRegressor(hidden=6, iterations=15, random_state=0)
    with pytest.warns(ConvergenceWarning):  # 15 epochs are too few, and that is fine here
        est.fit(x, x @ [1.0, -2.0, 0.5])
    assert est.model_.losses == tuple(est.loss_curve_)
    page = est.model_._repr_html_()
    assert "Model (regression)" in page and "3 × 6 × 1" in page
    assert len(polyline_points(page[page.index("<svg") : page.index("</svg>") + 6])[0]) == 15
    save_model(
        tmp_path / "m.npz",
        est.model_,
        history=[{"iteration": i, "loss": v} for i, v in enumerate(est.loss_curve_)],
    )
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.losses == pytest.approx(est.model_.losses)


@pytest.mark.parametrize("name", ["TwoLayerClassifier", "TwoLayerRegressor"])
def test_the_estimators_diagram_links_to_their_api_page(name: str) -> None:
    pytest.importorskip("sklearn")
    import twolayer

    est = getattr(twolayer, name)()
    link = est._get_doc_link()
    assert link == f"{documentation_root()}generated/twolayer.{name}.html"
    assert re.search(rf'href="{re.escape(link)}"', est._repr_html_())


def test_the_documentation_root_is_the_built_sites_unless_an_address_is_published() -> None:
    from importlib.metadata import metadata

    urls = metadata("twolayer").get_all("Project-URL") or []
    if not any(u.lower().startswith("documentation,") for u in urls):
        assert documentation_root() == SITE_FROM_A_PAGE
    assert documentation_root().endswith("/")
