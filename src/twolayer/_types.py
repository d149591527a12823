"""Type aliases shared by the math modules.

The math is written against the array API, so an "array" may be a NumPy array, a PyTorch
tensor, a CuPy array or a Dask array; type checking treats them all as ``Any``-like
``Array``.  NumPy-only code uses ``NDArray`` from ``numpy.typing`` instead.
"""

from typing import Any, TypeAlias

Array: TypeAlias = Any
"""An array of any array-API namespace (NumPy, PyTorch, CuPy, Dask)."""
