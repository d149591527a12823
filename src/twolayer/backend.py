"""Which array namespace the math runs in, and moving arrays between backends.

Every math function asks :func:`namespace` for the namespace of its inputs and then calls
``xp.matmul``, ``xp.maximum`` and friends, so the same hand-written forward and backward pass
runs on any array-API array.  NumPy arrays need nothing beyond NumPy; any other kind of array
is resolved through ``array-api-compat``, imported only then.

Four backends are known by name (``docs/backends.md`` compares them):

========  =====================  ===============  ================================
name      arrays                 devices          extra to install
========  =====================  ===============  ================================
numpy     ``numpy.ndarray``      cpu              none (always there)
torch     ``torch.Tensor``       cpu, cuda        ``pip install 'twolayer[torch]'``
cupy      ``cupy.ndarray``       cuda             ``pip install 'twolayer[cupy]'``
dask      ``dask.array.Array``   cpu              ``pip install 'twolayer[dask]'``
========  =====================  ===============  ================================

A :class:`Backend` names one of them with a device.  It moves NumPy arrays there
(:meth:`Backend.asarray`, :meth:`Backend.data`); :func:`to_numpy` brings any of them back.
Optional libraries are imported only when a backend that needs them is used, and a missing one
is a :class:`~twolayer.errors.ConfigError` naming the extra that installs it.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

from twolayer.errors import POSITIVE_INT, ConfigError, choice_error

Array: TypeAlias = Any
"""An array of any array-API namespace (NumPy, PyTorch, CuPy, Dask): the math is written against
the array API, so type checking treats them all alike. NumPy-only code uses ``NDArray``."""


class _ArrayMap(Protocol):
    """What :meth:`Backend.params` needs of parameters (``twolayer.nn.model.Params`` has it)."""

    def map(self, fn: Callable[..., Any]) -> Any: ...


ParamsT = TypeVar("ParamsT", bound=_ArrayMap)

BACKENDS: tuple[str, ...] = ("numpy", "torch", "cupy", "dask")
DEVICES: tuple[str, ...] = ("cpu", "cuda")

# backend -> (module to import, library's name, extra that installs it, devices it supports)
_LIBRARIES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "numpy": ("numpy", "NumPy", "", ("cpu",)),
    "torch": ("torch", "PyTorch", "torch", ("cpu", "cuda")),
    "cupy": ("cupy", "CuPy", "cupy", ("cuda",)),
    "dask": ("dask.array", "Dask", "dask", ("cpu",)),
}


def is_sparse(a: Any) -> bool:
    """Whether ``a`` is a SciPy sparse matrix or array (never imports SciPy to find out)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(a))


def namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays`` (``None`` entries are skipped).

    Plain NumPy arrays (and Python scalars) give the ``numpy`` module itself, without importing
    anything else; so do SciPy sparse inputs, whose products with NumPy weights
    (``x @ w1``, ``x.T @ grad_h``) are NumPy arrays.  Other arrays are looked up with
    ``array_api_compat.array_namespace``.
    """
    present = [a for a in arrays if a is not None and not is_sparse(a)]
    if all(isinstance(a, np.ndarray | np.generic | float | int) for a in present):
        return np
    compat = import_optional("array_api_compat", "array-api-compat", "backends")
    xp: ModuleType = compat.array_namespace(*present)
    return xp


def import_optional(module: str, library: str, extra: str) -> ModuleType:
    """Import ``module`` or raise a ConfigError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"{library} is not installed; install it with: pip install 'twolayer[{extra}]'"
        ) from None


def require(backend: str) -> ModuleType:
    """Import the array module of ``backend`` (``dask.array`` for dask), or raise ConfigError
    naming the extra to install.  ``array-api-compat``, which every backend other than NumPy
    needs, is checked at the same time."""
    if backend not in _LIBRARIES:
        raise choice_error("backend", backend, BACKENDS)
    module, library, extra, _ = _LIBRARIES[backend]
    array_module = import_optional(module, library, extra)  # the library first: the likelier miss
    if backend != "numpy":
        import_optional("array_api_compat", "array-api-compat", extra)
    return array_module


def kind_of(a: Any) -> str:
    """The backend an array belongs to: ``numpy``, ``torch``, ``cupy`` or ``dask``.

    Found from the array's type alone, so no library is imported to answer.
    """
    if isinstance(a, np.ndarray | np.generic):
        return "numpy"
    package = type(a).__module__.partition(".")[0]
    if package in _LIBRARIES:
        return package
    raise ConfigError(
        f"arrays of type {type(a).__module__}.{type(a).__qualname__} are not supported; "
        f"use one of: {', '.join(BACKENDS)}"
    )


def is_dask_array(a: Any) -> bool:
    """Whether ``a`` is a ``dask.array.Array`` (without importing Dask)."""
    return type(a).__module__.startswith("dask.")


def to_numpy(a: Any) -> NDArray[Any]:
    """Bring an array of any backend back into host memory as a NumPy array.

    Dask arrays are computed, GPU arrays copied to the host; NumPy arrays are returned as they
    are (no copy).
    """
    kind = kind_of(a)
    if kind == "torch":
        return np.asarray(a.detach().cpu().numpy())
    if kind == "cupy":
        return np.asarray(a.get())
    if kind == "dask":
        return np.asarray(a.compute())
    return np.asarray(a)


def as_like(a: NDArray[Any], like: Any) -> Any:
    """The NumPy array ``a`` as an array of ``like``'s backend, device and dtype."""
    if isinstance(like, np.ndarray):
        return a.astype(like.dtype)
    if is_dask_array(like):
        return require("dask").from_array(a.astype(like.dtype), chunks=a.shape)
    compat = import_optional("array_api_compat", "array-api-compat", "backends")
    return namespace(like).asarray(a, dtype=like.dtype, device=compat.device(like))


@dataclass(frozen=True)
class Backend:
    """A backend by name and the device its arrays live on.

    Making one checks only the names; :meth:`check` (called by every method that moves an
    array) imports the library and checks that the device is there.
    """

    name: str = "numpy"  # numpy | torch | cupy | dask
    device: str = "cpu"  # cpu | cuda: where the arrays live (cupy: cuda only)
    chunk_rows: int | None = None  # dask: samples per chunk of data arrays; None: dask's "auto"

    def __post_init__(self) -> None:
        if self.name not in _LIBRARIES:
            raise choice_error("backend", self.name, BACKENDS)
        if self.device not in DEVICES:
            raise choice_error("device", self.device, DEVICES)
        devices = _LIBRARIES[self.name][3]
        if self.device not in devices:
            raise ConfigError(
                f"the {self.name} backend runs on {' or '.join(devices)} only, not on "
                f"{self.device}; for cuda use the torch or cupy backend"
            )
        if self.chunk_rows is not None:
            POSITIVE_INT.check("chunk_rows", self.chunk_rows)

    def check(self) -> ModuleType:
        """Import the backend's library and check the device; return the array module."""
        module = require(self.name)
        if self.device == "cuda":
            _check_cuda(self.name, module)
        return module

    def asarray(self, a: Any) -> Any:
        """``a`` (a NumPy array) as an array of this backend, on its device; a Dask array is
        made of one chunk (right for weights; use :meth:`data` for samples)."""
        module = self.check()
        if self.name == "torch":
            return module.asarray(a, device=self.device)
        if self.name == "dask":
            return module.from_array(a, chunks=a.shape)
        return module.asarray(a)

    def data(self, a: Any) -> Any:
        """A data array (samples along axis 0) moved here; Dask chunks it along samples only,
        ``chunk_rows`` samples per chunk."""
        if self.name != "dask":
            return self.asarray(a)
        da = self.check()
        rows = self.chunk_rows if self.chunk_rows is not None else "auto"
        return da.from_array(a, chunks=(rows, *(-1,) * (a.ndim - 1)))

    def params(self, params: ParamsT | None) -> ParamsT | None:
        """Parameters (``twolayer.nn.model.Params``) moved here (``None`` stays ``None``)."""
        return None if params is None else params.map(self.asarray)


def get_backend(name: str = "numpy", device: str | None = None, **options: Any) -> Backend:
    """The backend ``name`` on ``device``; without a device, cuda for cupy and cpu otherwise."""
    if device is None:
        device = "cuda" if name == "cupy" else "cpu"
    return Backend(name, device, **options)


def _check_cuda(name: str, module: ModuleType) -> None:
    if name == "torch" and not module.cuda.is_available():
        raise ConfigError("the cuda device is not available: PyTorch sees no CUDA GPU")
    if name == "cupy":
        try:
            count = module.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CuPy raises its own CUDARuntimeError when there is no driver
            raise ConfigError(f"the cuda device is not available to CuPy: {exc}") from None
        if count == 0:
            raise ConfigError("the cuda device is not available: CuPy sees no CUDA GPU")


def describe_blas(threads: bool = True) -> str:
    """The BLAS library NumPy's matrix products run on, in one line.

    With ``threads`` and where ``threadpoolctl`` is installed (scikit-learn brings it), each BLAS
    library loaded in this process, as ``threadpoolctl`` finds it: ``openblas 0.3.31 (SkylakeX
    kernels, 2 threads)`` (the thread count matters: another count sums the products in another
    order, and so rounds differently); the repository's benchmarks print this.  Otherwise the
    name and version NumPy was built with, ``scipy-openblas 0.3.31``, which costs nothing to
    read: a run's manifest records it (:attr:`twolayer.TrainResult.manifest`) on every call
    of :func:`twolayer.train`.
    """
    pools: list[dict[str, Any]] = []
    if threads:
        try:
            from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
        except ImportError:
            pass
        else:
            with warnings.catch_warnings():  # such as OpenMP loaded twice: not ours to report
                warnings.simplefilter("ignore")
                pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if pools:
        return "; ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture', '?')} kernels, "
            f"{p.get('num_threads')} threads)"
            for p in pools
        )
    try:
        info: Any = np.show_config(mode="dicts")
        blas = info["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # pragma: no cover - depends on how NumPy was built
        return "unknown"
