"""The installed version of twolayer and where its documentation lives, looked up only when
asked (importlib.metadata is slow)."""

from __future__ import annotations

import functools


@functools.cache
def installed_version() -> str:
    """The version pip installed, or ``0.0.0+unknown`` for a source tree never installed;
    looked up once per process (every run's manifest names it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twolayer")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0.0.0+unknown"


SITE_FROM_A_PAGE = "../"
"""The site's root seen from its tutorial and gallery pages, one folder deep (``docs/conf.py``
puts them there): where the API reference is found when no address is published."""


def documentation_root() -> str:
    """The address of the documentation site, ending in ``/``: the ``Documentation`` URL of the
    package's metadata (``[project.urls]`` in ``pyproject.toml``) when it names one, else
    :data:`SITE_FROM_A_PAGE`, the link that works inside the built site."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("twolayer").get_all("Project-URL") or []
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            return str(url).strip().rstrip("/") + "/"
    return SITE_FROM_A_PAGE
