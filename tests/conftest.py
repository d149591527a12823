"""Shared test settings: Hypothesis without deadlines (timings on a shared 2-core machine vary),
and an environment that no test can leak into the next."""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """Undo what a test leaves in ``os.environ``: starting a Dask cluster sets
    OMP_NUM_THREADS=1 and friends in this process, which would make later subprocesses use
    another BLAS thread count (and so round differently) from the test process itself."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
