"""Fixtures for the engine tests: runs on the portable engine, named as a caller names it.

Which engine a run took is ``TrainResult.engine``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from twolayer.state import TrainResult
from twolayer.train import train


@pytest.fixture
def portable() -> Callable[..., TrainResult]:
    """``train`` on the portable engine, the reference of the others."""

    def run_portable(*args: Any, **kwargs: Any) -> TrainResult:
        return train(*args, engine="portable", **kwargs)

    return run_portable
