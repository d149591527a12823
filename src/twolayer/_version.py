"""The installed version of twolayer, looked up only when asked (importlib.metadata is slow)."""

from __future__ import annotations


def installed_version() -> str:
    """The version pip installed, or ``0.0.0+unknown`` for a source tree never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twolayer")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0.0.0+unknown"
