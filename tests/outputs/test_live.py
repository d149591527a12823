"""LivePlot redraws one picture in place while training runs; here a fake display stands in for
the notebook's."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError
from twolayer.train import train

pytest.importorskip("matplotlib")

from twolayer.outputs.live import LivePlot, Picture

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class FakeHandle:
    def __init__(self, shown: list[tuple[str, Any]]) -> None:
        self.shown = shown

    def update(self, obj: Any) -> None:
        self.shown.append(("update", obj))


class FakeDisplay:
    """IPython's ``display(obj, display_id=True)``: records what it was given."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, Any]] = []

    def __call__(self, obj: Any, *, display_id: bool = False) -> FakeHandle:
        assert display_id is True  # without it there is no handle to update in place
        self.shown.append(("display", obj))
        return FakeHandle(self.shown)


def problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 4))
    return x, x @ rng.standard_normal((4, 2))


@pytest.mark.parametrize(("iterations", "every", "drawn"), [(23, 10, 3), (20, 10, 2), (5, 10, 1)])
def test_one_picture_shown_then_updated_every_k_iterations_and_at_the_end(
    iterations: int, every: int, drawn: int
) -> None:
    display = FakeDisplay()
    live = LivePlot(every=every, display=display)
    x, y = problem()
    train(x, y, TrainConfig(iterations=iterations, hidden=5, lr=1e-3, seed=0), callbacks=[live])
    kinds = [kind for kind, _ in display.shown]
    assert kinds == ["display"] + ["update"] * (drawn - 1)
    assert live.drawn == drawn and len(live.rows) == iterations
    for _, picture in display.shown:
        assert isinstance(picture, Picture)
        assert picture._repr_png_().startswith(PNG_SIGNATURE)


def test_the_pictures_follow_the_run() -> None:
    display = FakeDisplay()
    x, y = problem()
    train(x, y, TrainConfig(iterations=20, hidden=5, lr=1e-3, seed=0),
          callbacks=[LivePlot(every=10, display=display)])  # fmt: skip
    first, last = (picture.png for _, picture in display.shown)
    assert first != last  # the second picture holds ten more iterations


def test_an_estimator_fit_draws_through_its_callbacks() -> None:
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    from twolayer import TwoLayerRegressor

    display = FakeDisplay()
    x, y = problem()
    est = TwoLayerRegressor(hidden=5, iterations=12, random_state=0,
                            callbacks=[LivePlot(every=5, display=display)])  # fmt: skip
    with pytest.warns(ConvergenceWarning):  # 12 epochs are few, on purpose
        est.fit(x, y)
    assert [kind for kind, _ in display.shown] == ["display", "update", "update"]  # 5, 10, 12


def test_without_ipython_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", None)
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(ConfigError, match=r"IPython is not installed.*twolayer\[notebooks\]"):
        LivePlot()


def test_every_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="every must be"):
        LivePlot(every=0, display=FakeDisplay())
