"""Data-parallel training on a dask.distributed ``LocalCluster`` of two workers.

The trajectory (losses at every iteration and the final weights) must equal NumPy's on the same
data, whichever way the data arrive (in memory, ``.npy`` chunk files, a Zarr store) and whichever
optimizer runs; a dataset larger than the workers' memory limits must train all the same.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")
pytest.importorskip("zarr", reason="the dask extra is not installed")

import dask
import dask.array as da

from helpers import blocks
from twolayer.backend import kind_of, to_numpy
from twolayer.cli import main
from twolayer.config import TrainConfig
from twolayer.data.chunks import open_data, save_chunks, save_zarr
from twolayer.engines import dask as dask_engine
from twolayer.errors import ConfigError, DataError
from twolayer.outputs.modelfile_reader import load_model, load_model_file
from twolayer.state import TrainResult
from twolayer.train import train

N, D_IN, D_OUT = 600, 12, 2
ROWS = 130  # samples per chunk: 5 chunks, the last one short


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_engine.cluster(n_workers=2, threads_per_worker=1, memory_limit="1GiB") as c:
        yield c


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, D_IN))
    return x, np.tanh(x[:, :D_OUT]) + 0.1 * rng.standard_normal((N, D_OUT))


@pytest.fixture(scope="module")
def sources(
    data: tuple[np.ndarray, np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    x, y = data
    root = tmp_path_factory.mktemp("chunks")
    return {
        "memory": (da.from_array(x, chunks=(ROWS, -1)), da.from_array(y, chunks=(ROWS, -1))),
        "npy": save_chunks(root / "npy", blocks(x, y, ROWS)),
        "zarr": save_zarr(root / "data.zarr", x, y, chunk_rows=ROWS),
    }


CONFIGS = {
    "gd": TrainConfig(iterations=5, lr=2e-4, hidden=8, init="he", seed=4),
    "momentum": TrainConfig(iterations=5, lr=2e-4, hidden=8, optimizer="momentum", bias=True),
    "adam": TrainConfig(iterations=5, lr=1e-2, hidden=8, optimizer="adam", loss="half_mse"),
    "lbfgs": TrainConfig(iterations=5, lr=1e-3, hidden=8, optimizer="lbfgs", loss="mse"),
}


def assert_same_trajectory(ours: TrainResult, numpy: TrainResult) -> None:
    assert len(ours.history) == len(numpy.history)
    for a, b in zip(ours.history, numpy.history, strict=True):
        assert a.iteration == b.iteration
        assert math.isclose(a.loss, b.loss, rel_tol=1e-12), (a.loss, b.loss)
        assert a.dead_fraction == b.dead_fraction
        assert a.grad_norms.keys() == b.grad_norms.keys()
        for name, norm in b.grad_norms.items():
            assert math.isclose(a.grad_norms[name], norm, rel_tol=1e-10)
    for name, w in numpy.params.named().items():
        got = to_numpy(ours.params.named()[name])
        np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-12 * float(np.max(np.abs(w))))


@pytest.mark.parametrize(
    ("source", "optimizer"),
    [*(("memory", name) for name in sorted(CONFIGS)), ("npy", "momentum"), ("zarr", "lbfgs")],
)
def test_trajectory_equals_numpy(
    client: Any,
    data: tuple[np.ndarray, np.ndarray],
    sources: dict[str, Any],
    source: str,
    optimizer: str,
) -> None:
    if optimizer == "lbfgs":
        pytest.importorskip("scipy", reason="lbfgs needs SciPy")
    x, y = data
    config = CONFIGS[optimizer]
    found = sources[source]
    xd, yd = found if isinstance(found, tuple) else open_data(found)
    assert xd.chunks[0] == (130, 130, 130, 130, 80)
    result = train(xd, yd, config)
    assert_same_trajectory(result, train(x, y, config))
    assert all(kind_of(p) == "dask" for p in result.params)


def test_one_computation_per_iteration_sums_the_chunks(
    client: Any, data: tuple[np.ndarray, np.ndarray], sources: dict[str, Any]
) -> None:
    from twolayer.engines.portable import batch_objective

    x, y = data
    config = CONFIGS["momentum"]
    params = train(x, y, config.replace(iterations=1)).params
    chunked = dask_engine.ChunkedData(*open_data(sources["npy"]))
    assert chunked.rows == (130, 130, 130, 130, 80)
    loss, grads, alive = chunked.summed_over_chunks(params, config)
    want_loss, want_grads, cache = batch_objective(params, x, y, config)
    assert math.isclose(loss, float(want_loss), rel_tol=1e-13)
    for name, g in want_grads.named().items():
        np.testing.assert_allclose(grads.named()[name], g, rtol=1e-11, atol=1e-13)
    assert alive is not None
    assert np.array_equal(alive, np.any(cache.a != 0, axis=0))


def test_persisted_and_streamed_chunks_agree(client: Any, sources: dict[str, Any]) -> None:
    x, y = open_data(sources["zarr"])
    config = CONFIGS["gd"]
    params = train(to_numpy(x), to_numpy(y), config.replace(iterations=0)).params
    kept = dask_engine.ChunkedData(x, y, persist=True).summed_over_chunks(params, config)
    streamed = dask_engine.ChunkedData(x, y, persist=False).summed_over_chunks(params, config)
    assert kept[0] == streamed[0]
    assert all(np.array_equal(a, b) for a, b in zip(kept[1], streamed[1], strict=True))


def test_dataset_larger_than_the_workers_memory(tmp_path: Path) -> None:
    """360 MB of chunk files against two workers limited to 160 MiB each: every iteration
    streams the chunks through the workers, and the result is NumPy's.

    The 90 chunks hold the same 4 MB block, so the full batch's loss and gradient are 90 times
    the block's, and NumPy's reference is the block trained at 90 times the learning rate.
    """
    rows, n_chunks, d_in = 5000, 90, 100
    rng = np.random.default_rng(11)
    block = rng.random((rows, d_in))
    target = block @ (rng.standard_normal((d_in, 1)) / 10)
    path = save_chunks(tmp_path / "big", [(block, target)] * n_chunks)
    x, y = open_data(path)
    config = TrainConfig(iterations=2, lr=1e-7, hidden=4, init="he", track="loss")
    # Without the pause at 80% of the limit, a worker over its memory would be terminated (at
    # 95%) and the run fail, rather than wait forever: the test then fails instead of hanging.
    no_pause = dask.config.set({"distributed.worker.memory.pause": False})
    with (
        no_pause,
        dask_engine.cluster(n_workers=2, threads_per_worker=1, memory_limit="160MiB") as c,
    ):
        workers = c.scheduler_info(n_workers=-1)["workers"]
        limit = sum(info["memory_limit"] for info in workers.values())
        assert x.nbytes > limit  # 360 MB of inputs, 320 MiB of worker memory
        pids = c.run(os.getpid)
        assert dask_engine.ChunkedData(x, y).arrays[0] is x  # too large to keep: streamed
        result = train(x, y, config)
        assert c.run(os.getpid) == pids  # no worker died or was restarted
    reference = train(block, target, config.replace(lr=config.lr * n_chunks))
    for ours, theirs in zip(result.history, reference.history, strict=True):
        assert math.isclose(ours.loss, n_chunks * theirs.loss, rel_tol=1e-12)


# --- the command line ---------------------------------------------------------------------------


def test_train_command_on_a_chunk_directory(
    client: Any,
    data: tuple[np.ndarray, np.ndarray],
    sources: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = tmp_path / "model.npz"
    args = ["train", "--backend", "dask", "--data", str(sources["npy"]), "--scheduler",
            client.scheduler.address, "--iterations", "4", "--hidden", "8", "--lr", "2e-4",
            "--init", "he", "--out", str(model), "--json"]  # fmt: skip
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    x, y = data
    reference = train(x, y, TrainConfig(iterations=4, lr=2e-4, hidden=8, init="he"))
    for line, record in zip(lines[:4], reference.history, strict=True):
        iteration, loss = line.split()
        assert int(iteration) == record.iteration
        assert math.isclose(float(loss), record.loss, rel_tol=1e-12)
    assert lines[4].startswith("train: mse=")  # the same metrics lines as data in memory
    summary = json.loads(lines[5])
    assert summary["iterations"] == 4 and summary["model"] == str(model)
    assert summary["iterations_run"] == 4 and summary["final_val_loss"] is None
    saved = load_model(model)
    np.testing.assert_allclose(saved.params.w1, reference.params.w1, rtol=1e-10)
    assert saved.source is not None and saved.source["kind"] == "chunks"
    # metrics computed chunk by chunk equal those of the same weights on the data in memory
    from twolayer.nn.metrics import regression_metrics

    expected = regression_metrics(y, saved.predict(x))
    assert summary["metrics"]["train"] == pytest.approx(expected, rel=1e-10)
    assert len(load_model_file(model).history) == 4  # and the model file keeps the history


def test_train_command_moves_in_memory_data_to_the_cluster(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["train", "--iterations", "5", "--n", "40", "--d-in", "30"]
    assert main(common) == 0
    numpy_lines = capsys.readouterr().out
    dask_args = [*common, "--backend", "dask", "--scheduler", client.scheduler.address]
    assert main(dask_args) == 0
    assert capsys.readouterr().out == numpy_lines  # one chunk: NumPy's arithmetic exactly


def test_train_command_starts_and_stops_a_local_cluster(
    sources: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["train", "--backend", "dask", "--data", str(sources["zarr"]), "--iterations", "2",
            "--hidden", "3", "--lr", "1e-4", "--quiet"]  # fmt: skip
    before = dask_engine.current_client()
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("1 ")
    assert dask_engine.current_client() is before  # the cluster of the run is gone


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--test-fraction", "0.2"], "--test-fraction: not available for chunked data"),
        (["--loss", "cross_entropy"], "chunked data hold regression targets"),
        (["--batch-size", "10"], "the dask backend trains on the full batch"),
    ],
)
def test_train_command_refuses_what_chunked_data_cannot_do(
    client: Any,
    sources: dict[str, Any],
    extra: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["train", "--backend", "dask", "--data", str(sources["npy"]), "--scheduler",
            client.scheduler.address, "--iterations", "1", *extra]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{npy}"], "is a directory; --data takes files (a directory of .npy chunks"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler chooses the cluster of --backend dask"),
    ],
)
def test_train_command_backend_options_that_do_not_fit(
    sources: dict[str, Any], args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [a.format(npy=sources["npy"]) for a in args]
    with pytest.raises(SystemExit) as info:
        main(["train", "--iterations", "1", *filled])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_unreachable_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "0.5s")
    with (
        pytest.raises(
            ConfigError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1"
        ),
        dask_engine.cluster("tcp://127.0.0.1:1"),
    ):
        pass


def test_align_chunks_checks_shapes_and_lines_up_chunks() -> None:
    x, y = da.ones((10, 3), chunks=(4, 3)), da.ones((9, 1), chunks=(4, 1))
    with pytest.raises(DataError, match="x has 10 samples but y has 9"):
        dask_engine.align_chunks(x, y)
    with pytest.raises(DataError, match="must be 2-D"):
        dask_engine.align_chunks(x[:, 0], y)
    with pytest.raises(DataError, match="the chunk sizes are unknown"):
        dask_engine.align_chunks(x[x[:, 0] > 0], y)
    xa, ya = dask_engine.align_chunks(
        da.ones((10, 3), chunks=(4, 1)), da.ones((10, 2), chunks=(5, 1))
    )
    assert xa.chunks == ((4, 4, 2), (3,)) and ya.chunks == ((4, 4, 2), (2,))
