"""One table of functions run on every array backend that is installed.

Each case of :data:`CASES` is computed on NumPy arrays and again on the same numbers moved to a
backend (NumPy, PyTorch on the CPU, Dask with several chunks; PyTorch on CUDA and CuPy where a
GPU is present).  The backend's result must be an array of the backend's own kind and equal
NumPy's to 1e-12 relative.  Backends that are not installed skip with the reason.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twolayer.backend import (
    BACKENDS,
    Backend,
    describe_blas,
    get_backend,
    kind_of,
    namespace,
    require,
    to_numpy,
)
from twolayer.cli import main
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.losses import LOSSES
from twolayer.nn.model import Params, backward, forward, init_params, predict
from twolayer.nn.optim import STEP_OPTIMIZERS, make_optimizer
from twolayer.train import train

ROOT = Path(__file__).resolve().parents[1]


def _cuda_available(name: str) -> bool:
    if name == "torch":
        return bool(importlib.util.find_spec("torch")) and __import__("torch").cuda.is_available()
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        return int(__import__("cupy").cuda.runtime.getDeviceCount()) > 0
    except Exception:  # no driver: CuPy raises its own CUDARuntimeError
        return False


def backend_or_skip(name: str, device: str) -> Backend:
    """The backend, or a skip naming what is missing."""
    module = {"numpy": "numpy", "torch": "torch", "cupy": "cupy", "dask": "dask.array"}[name]
    if name != "numpy":
        pytest.importorskip("array_api_compat", reason="non-NumPy backends need array-api-compat")
        pytest.importorskip(module, reason=f"the {name} backend is not installed")
    if device == "cuda" and not _cuda_available(name):
        pytest.skip(f"no CUDA GPU for {name}")
    # Dask: 4 samples per chunk, so the data of the cases below span several chunks.
    return get_backend(name, device, chunk_rows=4 if name == "dask" else None)


BACKEND_CASES = [
    pytest.param(("numpy", "cpu"), id="numpy"),
    pytest.param(("torch", "cpu"), id="torch-cpu"),
    pytest.param(("dask", "cpu"), id="dask"),
    pytest.param(("torch", "cuda"), id="torch-cuda"),
    pytest.param(("cupy", "cuda"), id="cupy"),
]


@pytest.fixture(params=BACKEND_CASES)
def on(request: pytest.FixtureRequest) -> Backend:
    name, device = request.param
    return backend_or_skip(name, device)


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The arrays every case may use: N=10 samples, D_in=6, H=5, D_out=3."""

    x: Any  # (N, D_in)
    y: Any  # (N, D_out) regression targets
    p: Any  # (N, D_out) probability rows, for cross-entropy
    h: Any  # (N, H) pre-activations, with exact zeros
    g: Any  # (N, H) upstream gradients
    params: Params  # with biases
    grads: Params


def numpy_inputs() -> Inputs:
    rng = np.random.default_rng(7)
    h = rng.standard_normal((10, 5))
    h[0, :2] = 0.0  # ReLU's kink: the seed passes the gradient there
    p = rng.random((10, 3))
    params = init_params(rng, 6, 5, 3, bias=True)
    params = params.map(lambda w: w + rng.standard_normal(w.shape))  # non-zero biases
    grads = params.map(lambda w: rng.standard_normal(w.shape))
    return Inputs(
        rng.standard_normal((10, 6)),
        rng.standard_normal((10, 3)),
        p / p.sum(axis=1, keepdims=True),
        h,
        rng.standard_normal((10, 5)),
        params,
        grads,
    )


def moved(inputs: Inputs, on: Backend) -> Inputs:
    return Inputs(
        *(on.data(getattr(inputs, f)) for f in ("x", "y", "p", "h", "g")),
        on.params(inputs.params),  # type: ignore[arg-type]
        on.params(inputs.grads),  # type: ignore[arg-type]
    )


def _activation_cases() -> dict[str, Callable[[Inputs], Any]]:
    cases: dict[str, Callable[[Inputs], Any]] = {}
    for name, act in ACTIVATIONS.items():
        cases[f"{name}"] = lambda i, act=act: act.forward(i.h)
        cases[f"{name}_backward"] = lambda i, act=act: act.backward(i.h, act.forward(i.h), i.g)
    return cases


def _loss_cases() -> dict[str, Callable[[Inputs], Any]]:
    def case(name: str) -> Callable[[Inputs], Any]:
        target = "p" if name == "cross_entropy" else "y"
        return lambda i: LOSSES[name].fn(forward(i.params, i.x)[0], getattr(i, target))

    return {f"loss_{name}": case(name) for name in LOSSES}


def _optimizer_cases() -> dict[str, Callable[[Inputs], Any]]:
    def case(name: str) -> Callable[[Inputs], Any]:
        def step(i: Inputs) -> Any:
            opt = make_optimizer(name)
            params, state = opt.update(i.params, i.grads, opt.init(i.params), 0.01, 1)
            return opt.update(params, i.grads, state, 0.01, 2)  # a second step uses the state

        return step

    return {f"optimizer_{name}": case(name) for name in STEP_OPTIMIZERS}


def _backward(i: Inputs, activation: str) -> Any:
    y_pred, cache = forward(i.params, i.x, activation)
    return backward(i.params, cache, LOSSES["sse"].fn(y_pred, i.y)[1], activation)


CASES: dict[str, Callable[[Inputs], Any]] = {
    **_activation_cases(),
    **_loss_cases(),
    "forward": lambda i: forward(i.params, i.x),
    "forward_no_bias": lambda i: forward(Params(i.params.w1, i.params.w2), i.x, "tanh"),
    "backward_relu": lambda i: _backward(i, "relu"),
    "backward_logistic": lambda i: _backward(i, "logistic"),
    "predict": lambda i: predict(i.params, i.x, "leaky_relu"),
    **_optimizer_cases(),
}


def leaves(out: Any) -> Iterator[Any]:
    """Every array in a case's result (tuples, named tuples, Params and dicts of them)."""
    if isinstance(out, Params):
        yield from out.named().values()
    elif isinstance(out, tuple | list):
        for item in out:
            yield from leaves(item)
    elif isinstance(out, dict):
        for item in out.values():
            yield from leaves(item)
    else:
        yield out


def assert_same(result: Any, reference: Any, kind: str, rtol: float) -> None:
    got, want = list(leaves(result)), list(leaves(reference))
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert kind_of(a) == kind  # arrays in, arrays of the same kind out
        a = to_numpy(a)
        assert a.shape == b.shape and a.dtype == b.dtype
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_on_every_backend(on: Backend, case: str) -> None:
    inputs = numpy_inputs()
    reference = CASES[case](inputs)
    assert_same(CASES[case](moved(inputs, on)), reference, on.name, rtol=1e-12)


# --- training ---------------------------------------------------------------------------------

TRAIN_CONFIGS = {
    "gd": TrainConfig(iterations=6, lr=1e-3, hidden=5, bias=True),
    "momentum": TrainConfig(iterations=6, lr=1e-3, hidden=5, optimizer="momentum"),
    "adam_mse": TrainConfig(iterations=6, lr=1e-2, hidden=5, optimizer="adam", loss="mse"),
    "lbfgs": TrainConfig(iterations=6, lr=1e-3, hidden=5, optimizer="lbfgs", bias=True),
    "validation": TrainConfig(iterations=4, lr=1e-3, hidden=5, validation_fraction=0.3),
}


@pytest.mark.parametrize("name", sorted(TRAIN_CONFIGS))
def test_training_on_every_backend(on: Backend, name: str) -> None:
    if name == "lbfgs":
        pytest.importorskip("scipy", reason="lbfgs needs SciPy")
    config = TRAIN_CONFIGS[name]
    i = numpy_inputs()
    start = init_params(np.random.default_rng(1), 6, 5, 3, bias=config.bias)
    reference = train(i.x, i.y, config, start)
    result = train(on.data(i.x), on.data(i.y), config, on.params(start))
    assert_same(result.params, reference.params, on.name, rtol=1e-10)
    assert [r.iteration for r in result.history] == [r.iteration for r in reference.history]
    for ours, theirs in zip(result.history, reference.history, strict=True):
        assert math.isclose(ours.loss, theirs.loss, rel_tol=1e-10)
        assert ours.dead_fraction == theirs.dead_fraction
        if theirs.val_loss is not None:
            assert ours.val_loss is not None
            assert math.isclose(ours.val_loss, theirs.val_loss, rel_tol=1e-10)


def test_dask_training_keeps_numpy_state_and_returns_dask_weights() -> None:
    on = backend_or_skip("dask", "cpu")
    i = numpy_inputs()
    config = TRAIN_CONFIGS["momentum"]
    result = train(on.data(i.x), on.data(i.y), config)
    assert all(kind_of(p) == "dask" for p in result.params)
    assert all(type(p) is np.ndarray for p in result.state.params)
    assert all(type(v) is np.ndarray for v in result.state.opt_state["velocity"])
    reference = train(i.x, i.y, config)
    np.testing.assert_allclose(to_numpy(result.params.w1), reference.params.w1, rtol=1e-12)


def test_dask_refuses_minibatches() -> None:
    on = backend_or_skip("dask", "cpu")
    i = numpy_inputs()
    with pytest.raises(ConfigError, match="full batch"):
        train(on.data(i.x), on.data(i.y), TrainConfig(iterations=1, hidden=5, batch_size=4))


def test_state_moves_between_backends() -> None:
    on = backend_or_skip("torch", "cpu")
    i = numpy_inputs()
    config = TRAIN_CONFIGS["momentum"]
    first = train(i.x, i.y, config.replace(iterations=3))
    moved_state = first.state.map_arrays(on.asarray)
    assert kind_of(moved_state.opt_state["velocity"].w1) == "torch"
    resumed = train(on.data(i.x), on.data(i.y), config, state=moved_state)
    straight = train(i.x, i.y, config)
    assert [r.iteration for r in resumed.history] == [3, 4, 5]
    np.testing.assert_allclose(to_numpy(resumed.params.w1), straight.params.w1, rtol=1e-12)


# --- the seed on each backend -----------------------------------------------------------------


def seed_losses() -> list[float]:
    problem = SeedProblem()
    x, y, params = seed_draws(0, problem)
    return [r.loss for r in train(x, y, problem.config(track="loss"), params).history]


@pytest.fixture(scope="module")
def numpy_seed_losses() -> list[float]:
    return seed_losses()


@pytest.mark.parametrize(
    ("name", "device", "rtol"),
    [
        pytest.param("torch", "cpu", 1e-10, id="torch-cpu"),
        pytest.param("dask", "cpu", 1e-10, id="dask"),
        pytest.param("torch", "cuda", 1e-9, id="torch-cuda"),
        pytest.param("cupy", "cuda", 1e-9, id="cupy"),
    ],
)
def test_seed_command_matches_numpy_at_every_iteration(
    name: str,
    device: str,
    rtol: float,
    numpy_seed_losses: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend_or_skip(name, device)
    assert main(["seed", "--backend", name, "--device", device]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(500))
    for line, expected in zip(lines, numpy_seed_losses, strict=True):
        assert math.isclose(float(line.split()[1]), expected, rel_tol=rtol), line


def test_seed_on_one_dask_chunk_is_bit_identical(numpy_seed_losses: list[float]) -> None:
    on = backend_or_skip("dask", "cpu")
    problem = SeedProblem()
    x, y, params = seed_draws(0, problem)
    on = get_backend("dask")  # "auto" chunks: the seed's 64 samples are one chunk
    result = train(on.data(x), on.data(y), problem.config(track="loss"), on.params(params))
    assert [r.loss for r in result.history] == numpy_seed_losses


# --- choosing backends, and what is missing ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "device", "message"),
    [
        ("numpy", "cuda", "numpy backend runs on cpu only"),
        ("dask", "cuda", "dask backend runs on cpu only"),
        ("cupy", "cpu", "cupy backend runs on cuda only"),
        ("jax", "cpu", "unknown backend 'jax'; valid backends are: cupy, dask, numpy, torch"),
        ("torch", "tpu", "unknown device 'tpu'; valid devices are: cpu, cuda"),
    ],
)
def test_bad_backend_or_device(name: str, device: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_backend(name, device)


def test_default_devices() -> None:
    assert [get_backend(name).device for name in BACKENDS] == ["cpu", "cpu", "cuda", "cpu"]
    with pytest.raises(ConfigError, match="chunk_rows must be an integer > 0"):
        get_backend("dask", chunk_rows=0)


_LIBRARY_MODULES = {"torch": "torch", "cupy": "cupy", "dask": "dask.array"}


@pytest.mark.parametrize(
    ("name", "blocked", "library"),
    [
        ("torch", "torch", "PyTorch"),
        ("cupy", "cupy", "CuPy"),
        ("dask", "dask.array", "Dask"),
        ("torch", "array_api_compat", "array-api-compat"),
    ],
)
def test_missing_library_names_the_extra(
    name: str, blocked: str, library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if blocked == "array_api_compat":  # the library itself must be there to get this far
        pytest.importorskip(_LIBRARY_MODULES[name], reason=f"needs {library}'s backend library")
    else:
        monkeypatch.setitem(sys.modules, "array_api_compat", None)  # both missing: name the library
    monkeypatch.setitem(sys.modules, blocked, None)  # makes `import blocked` fail
    expected = f"{library} is not installed; install it with: pip install 'twolayer[{name}]'"
    with pytest.raises(ConfigError) as info:
        require(name)
    assert str(info.value) == expected


def test_missing_array_api_compat_for_foreign_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch", reason="needs a non-NumPy array")
    monkeypatch.setitem(sys.modules, "array_api_compat", None)
    assert namespace(np.zeros(2)) is np  # NumPy never needs it
    with pytest.raises(ConfigError, match=r"pip install 'twolayer\[backends\]'"):
        namespace(torch.zeros(2))


def test_missing_backend_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SystemExit) as info:
        main(["seed", "--backend", "torch", "--iterations", "2"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == (
        "twolayer seed: error: PyTorch is not installed; "
        "install it with: pip install 'twolayer[torch]'"
    )


def test_unsupported_array_type() -> None:
    with pytest.raises(ConfigError, match=r"arrays of type builtins\.list are not supported"):
        kind_of([1.0, 2.0])


def test_to_numpy_does_not_copy_numpy_arrays() -> None:
    a = np.arange(3.0)
    assert to_numpy(a) is a


# --- the GPU script, on the CPU ---------------------------------------------------------------


def test_gpu_check_cpu_smoke_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="benchmarks/gpu_check.py runs on PyTorch")
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks/gpu_check.py")
    assert spec is not None and spec.loader is not None
    gpu_check = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_check", gpu_check)  # its dataclasses look it up
    spec.loader.exec_module(gpu_check)
    report = gpu_check.main(["--cpu-smoke", "--json", str(tmp_path / "gpu.json")])
    assert report["failures"] == []
    sections = {row["section"] for row in report["rows"]}
    assert sections == {"check", "seed", "wide", "peak"}
    assert (tmp_path / "gpu.json").is_file()


def test_every_missing_extra_is_named_in_one_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    from twolayer.data.datasets import load_dataset
    from twolayer.outputs.plot import require_matplotlib

    x = np.ones((4, 2))
    cases = [
        ("scipy.optimize", "SciPy", "lbfgs",
         lambda: train(x, x[:, :1], TrainConfig(iterations=1, hidden=2, optimizer="lbfgs"))),
        ("matplotlib", "matplotlib", "plot", require_matplotlib),
        ("sklearn.datasets", "scikit-learn", "sklearn", lambda: load_dataset("digits")),
    ]  # fmt: skip
    for module, library, extra, use in cases:
        with monkeypatch.context() as m:
            m.setitem(sys.modules, module, None)  # importing it now raises ImportError
            with pytest.raises(ConfigError) as exc:
                use()
        assert str(exc.value) == (
            f"{library} is not installed; install it with: pip install 'twolayer[{extra}]'"
        )


def test_describe_blas_names_the_library_with_or_without_threadpoolctl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import twolayer

    assert twolayer.describe_blas is describe_blas
    built = describe_blas(threads=False)  # the name and version NumPy was built with
    assert built and "threads" not in built
    result = train(np.ones((4, 2)), np.ones((4, 1)), TrainConfig(iterations=1, hidden=2))
    assert result.manifest["blas"] == built  # every run records it, at no cost
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # as if it were not installed
    assert describe_blas() == built
    monkeypatch.undo()
    pytest.importorskip("threadpoolctl")
    found = describe_blas()
    assert "kernels" in found and "threads)" in found  # library, version, kernels, threads
