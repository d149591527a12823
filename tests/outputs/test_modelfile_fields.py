"""Every field of a model file that ``predict`` or ``--resume`` uses is checked for its type,
its range and its agreement with the rest of the file; every array's header is checked before
its data are inflated.  An edited or crafted file is one ``error:`` line naming the file and
the field, and nothing is written."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import assert_one_error, run_cli, snapshot
from twolayer.cli import main

Meta = dict[str, Any]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Path:
    """d.csv and m.npz: momentum, biases, scaled inputs and targets, early stopping."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((30, 3))
    lines = "".join(",".join(repr(float(v)) for v in r) + "\n" for r in rows)
    (tmp_path / "d.csv").write_text("a,b,y\n" + lines)
    args = ["train", "--data", "d.csv", "--optimizer", "momentum", "--lr", "1e-3", "--bias",
            "--init", "he", "--early-stopping", "--validation-fraction", "0.2",
            "--iterations", "4", "--quiet", "--out", "m.npz"]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    return tmp_path


def edit(path: Path, change: Callable[[Meta], object], **arrays: Any) -> None:
    """Rewrite the model file ``path`` with its metadata changed and ``arrays`` replaced."""
    with np.load(path) as f:
        held = {k: f[k] for k in f.files}
    meta = json.loads(str(held["metadata"]))
    change(meta)
    held.update(arrays, metadata=np.asarray(json.dumps(meta)))
    np.savez(path, **{k: v for k, v in held.items() if v is not None})


def config(**fields: Any) -> Callable[[Meta], object]:
    return lambda meta: meta["config"].update(fields)


def source(**fields: Any) -> Callable[[Meta], object]:
    return lambda meta: meta["source"].update(fields)


def drop(*keys: str) -> Callable[[Meta], object]:
    def change(meta: Meta) -> None:
        where = meta
        for key in keys[:-1]:
            where = where[key]
        del where[keys[-1]]

    return change


def state(**fields: Any) -> Callable[[Meta], object]:
    return lambda meta: meta["state"].update(fields)


FIELDS: list[tuple[str, Callable[[Meta], object], str]] = [
    ("optimizer edited", config(optimizer="adam"),
     "the training state holds the optimizer buffers ['velocity']; metadata field "
     "'config.optimizer' 'adam' keeps ['m', 'v']"),
    ("iterations a float", config(iterations=12.5), "iterations must be an integer, got 12.5"),
    ("batch size a float", config(batch_size=2.5), "batch_size must be an integer or None"),
    ("negative seed", config(seed=-1), "seed must be between 0 and 4294967295, got -1"),
    ("learning rate as text", config(lr="0.1"), "lr must be a number, got '0.1'"),
    ("bias a number", config(bias=1), "bias must be true or false, got 1"),
    ("a missing configuration key", drop("config", "optimizer"),
     "missing configuration keys: optimizer"),
    ("hidden edited", config(hidden=7), "metadata field 'config.hidden' is 7 but the network has"),
    ("dtype edited", config(dtype="float32"), "'config.dtype' is 'float32' but the network has"),
    ("standardized x a number", lambda m: m.update(standardized={"x": 1, "y": True}),
     "metadata field 'standardized.x' must be true or false, got 1"),
    ("standardized lacks y", lambda m: m.update(standardized={"x": True}),
     "metadata field 'standardized' must be an object with keys x and y"),
    ("standardized missing", drop("standardized"), "metadata field 'standardized' must be"),
    ("scaling dropped", lambda m: m.update(standardized={"x": False, "y": True}),
     "array 'x_mean' is present but metadata field 'standardized.x' is false"),
    ("iteration a float", state(iteration=2.0), "the training state is invalid (2.0 is not"),
    ("has_params a number", lambda m: m["state"]["early"].update(has_params=1),
     "has_params is 1, not true or false"),
]  # fmt: skip


@pytest.mark.parametrize("command", ["resume", "predict"])
@pytest.mark.parametrize(("change", "message"), [c[1:] for c in FIELDS], ids=[c[0] for c in FIELDS])
def test_an_edited_field_is_one_error_naming_the_file_and_the_field(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    change: Callable[[Meta], object],
    message: str,
) -> None:
    edit(in_tmp / "m.npz", change)
    before = snapshot(in_tmp)
    args = (["train", "--resume", "m.npz"] if command == "resume" else
            ["predict", "--model", "m.npz", "--data", "d.csv", "--out", "p.csv"])  # fmt: skip
    code, out, err = run_cli(args, capsys)
    assert_one_error(code, out, err, "m.npz: ", message)
    assert snapshot(in_tmp) == before


SOURCES: list[tuple[str, Callable[[Meta], object], str]] = [
    ("test fraction as text", source(test_fraction="half"),
     "metadata field 'source': 'test_fraction' must be a number in [0, 1), got 'half'"),
    ("test fraction of 1", source(test_fraction=1), "'test_fraction' must be a number in [0, 1)"),
    ("standardize a number", source(standardize=1), "'standardize' must be true or false, got 1"),
    ("paths a text", source(paths="d.csv"), "'paths' must be a list of one or two file names"),
    ("target a number", source(target=3), "'target' must be a list of column names or numbers"),
    ("unknown kind", source(kind="url"), "'kind' must be one of file, dataset, random, chunks"),
    ("no kind", drop("source", "kind"), "'kind' must be one of file, dataset, random, chunks, got "
     "missing"),
    ("random, sizes as floats", source(kind="random", seed=0, n=8.0, d_in=2, hidden=4, d_out=1),
     "'n' must be an integer > 0, got 8.0"),
    ("random, a seed too large", source(kind="random", seed=2**40, n=8, d_in=2, hidden=4, d_out=1),
     "'seed' must be an integer between 0 and 4294967295"),
    ("an unknown dataset", source(kind="dataset", name="mnist"), "'name' must be a bundled"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"), [c[1:] for c in SOURCES], ids=[c[0] for c in SOURCES]
)
def test_a_resumed_source_is_checked_field_by_field(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], change: Callable[[Meta], object], message: str
) -> None:
    edit(in_tmp / "m.npz", change)
    before = snapshot(in_tmp)
    code, out, err = run_cli(["train", "--resume", "m.npz"], capsys)
    assert_one_error(code, out, err, "m.npz: ", message)
    assert snapshot(in_tmp) == before


def bomb(path: Path, name: str, shape: tuple[int, ...]) -> None:
    """Replace the member ``name`` of ``path`` with zeros of ``shape`` that inflate to
    128 MiB from a deflated member of about 130 KB."""
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i) for i in src.infolist() if i.filename != f"{name}.npy"}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for member, data in members.items():
            out.writestr(member, data)
        with out.open(f"{name}.npy", "w", force_zip64=True) as f:
            header = {"descr": "<f8", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(f, header)
            piece = bytes(2**20)
            for _ in range(128):
                f.write(piece)


BOMBS: list[tuple[str, tuple[int, ...], str]] = [
    ("w1", (4096, 4096), "array 'w1' has shape (4096, 4096), expected (2, 100)"),
    ("b1", (2**24,), "array 'b1' has shape (16777216,), expected (100,)"),
    ("x_mean", (2**24,), "array 'x_mean' has shape (16777216,), expected (2,)"),
    ("opt.velocity.w2", (2**24, 1), "array 'opt.velocity.w2' has shape (16777216, 1)"),
    ("early.w1", (2, 2**23), "array 'early.w1' has shape (2, 8388608), expected (2, 100)"),
    ("history", (2**21, 8), "array 'history' has 2097152 rows for 4 iterations"),
]


@pytest.mark.parametrize(("name", "shape", "message"), BOMBS, ids=[b[0] for b in BOMBS])
def test_a_member_that_would_inflate_past_its_metadata_is_refused_unread(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    shape: tuple[int, ...],
    message: str,
) -> None:
    if name == "history":
        with np.load(in_tmp / "m.npz") as f:
            shape = (shape[0], f["history"].shape[1])
    bomb(in_tmp / "m.npz", name, shape)
    assert (in_tmp / "m.npz").stat().st_size < 2**20
    before = snapshot(in_tmp)
    code, out, err = run_cli(["predict", "--model", "m.npz", "--data", "d.csv"], capsys)
    assert_one_error(code, out, err, "m.npz: ", message)
    assert snapshot(in_tmp) == before
