"""Which array namespace the math runs in.

Every math function asks :func:`namespace` for the namespace of its inputs and then calls
``xp.matmul``, ``xp.maximum`` and friends, so the same hand-written forward and backward pass
runs on any array-API array.  NumPy arrays need nothing beyond NumPy; any other kind of array
is resolved through ``array-api-compat``, imported only then.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np


def namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays`` (``None`` entries are skipped).

    Plain NumPy arrays (and Python scalars) give the ``numpy`` module itself, without importing
    anything else; other arrays are looked up with ``array_api_compat.array_namespace``.
    """
    present = [a for a in arrays if a is not None]
    if all(isinstance(a, np.ndarray | np.generic | float | int) for a in present):
        return np
    try:
        import array_api_compat
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "arrays other than NumPy's need array-api-compat: pip install 'twolayer[backends]'"
        ) from exc
    xp: ModuleType = array_api_compat.array_namespace(*present)
    return xp
