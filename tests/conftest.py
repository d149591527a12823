"""Shared test settings: Hypothesis without deadlines (timings on a shared 2-core machine vary),
and an environment that no test can leak into the next."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")


_SESSION_ENVIRONMENT = dict(os.environ)


@pytest.fixture(autouse=True)
def _restore_environment() -> None:
    """Give every test the environment the session started with: starting a Dask cluster sets
    OMP_NUM_THREADS=1 and friends in this process (a module-scoped fixture does it before any
    single test begins), which would make later subprocesses use another BLAS thread count,
    and so round differently, from the test process itself."""
    if os.environ != _SESSION_ENVIRONMENT:
        os.environ.clear()
        os.environ.update(_SESSION_ENVIRONMENT)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--playground-screenshot",
        metavar="PNG",
        help="also save the playground browser test's screenshot here (the README's is "
        "docs/images/playground.png)",
    )
    parser.addoption(
        "--playground-images",
        metavar="DIR",
        help="also save the screenshots of the playground's views (follow a sample, a lesson, "
        "a phone) in this folder (the docs' are docs/images/)",
    )
