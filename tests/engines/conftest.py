"""Fixtures for the engine tests: which engine a run took, and runs forced onto the portable one."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from twolayer.state import TrainResult
from twolayer.train import train

# ``twolayer.train`` is the function the package exports; the module is looked up by name.
LOOP = importlib.import_module("twolayer.train")
NAMES = {
    "InplaceEngine": "inplace",
    "DualEngine": "dual",
    "DaskEngine": "dask",
    "BufferedEngine": "buffered",
}


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The engines runs took, by name ("inplace", "buffered", "dual", "dask"); the portable one
    is left out."""
    taken: list[str] = []
    real_select = LOOP.select

    def spy(*args: Any, **kwargs: Any) -> Any:
        engine = real_select(*args, **kwargs)
        if type(engine).__name__ in NAMES:
            taken.append(NAMES[type(engine).__name__])
        return engine

    monkeypatch.setattr(LOOP, "select", spy)
    return taken


@pytest.fixture
def portable(monkeypatch: pytest.MonkeyPatch) -> Callable[..., TrainResult]:
    """``train`` forced onto the portable engine, the reference of the others."""

    def run_portable(*args: Any, **kwargs: Any) -> TrainResult:
        return train(*args, engine="portable", **kwargs)

    return run_portable
