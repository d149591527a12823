"""Sources: ``.npy`` pairs and ``.npz`` archives, file kinds, inputs to predict on, the bundled
datasets and the seed's draws.

The Hypothesis tests at the end feed the loaders random bytes and mangled files: nothing but a
DataError (or a clean load) may come out.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import write
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.data.datasets import (
    load_dataset,
    load_file,
    load_inputs,
    load_npy_pair,
    load_npz,
    random_dataset,
)
from twolayer.data.table import load_table
from twolayer.errors import ConfigError, DataError

# --- .npy and .npz -----------------------------------------------------------------------------


def test_npz_and_npy_pairs(tmp_path: Path) -> None:
    x = np.arange(6.0).reshape(3, 2)
    y = np.array([1.0, 2.0, 3.0])
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = load_npz(tmp_path / "d.npz")
    assert np.array_equal(data.x, x) and np.array_equal(data.y, y.reshape(3, 1))
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    np.save(tmp_path / "y.npy", np.asfortranarray(np.stack([y, -y], axis=1)))
    pair = load_npy_pair(tmp_path / "x.npy", tmp_path / "y.npy")
    assert pair.x.dtype == np.float64 and np.array_equal(pair.x, x)
    assert np.array_equal(pair.y, np.stack([y, -y], axis=1))
    assert load_file([tmp_path / "x.npy", tmp_path / "y.npy"]).n_samples == 3


def test_npz_refuses_object_arrays_without_unpickling(tmp_path: Path) -> None:
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2))
    with pytest.raises(DataError, match=r"array 'x': holds Python objects .* refusing to load"):
        load_npz(tmp_path / "o.npz")
    np.save(tmp_path / "o.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"o\.npy: holds Python objects"):
        load_npy_pair(tmp_path / "o.npy", None)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((3, 2))}, "has no array 'y' (it holds: x)"),
        ({"x": np.zeros((3, 2)), "y": np.zeros(4)}, "x has 3 rows but .*: y has 4"),
        ({"x": np.zeros(3), "y": np.zeros(3)}, "x: must be 2-D, got shape (3,)"),
        ({"x": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, "x: row 1, column 2: nan is not"),
        ({"x": np.array([["a", "b"]]), "y": np.zeros(1)}, "has data type <U1, not numbers"),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, "has no samples or no features"),
        (
            {"x": np.zeros((3, 2)), "y": np.zeros((3, 0))},
            "d.npz: y: has no target columns (shape (3, 0))",
        ),
    ],
)
def test_npz_errors(tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_npz(tmp_path / "d.npz")


def test_truncated_npy_and_npz(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((4, 3)))
    raw = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "x.npy").write_bytes(raw[:-8])
    with pytest.raises(DataError, match=r"truncated: shape \(4, 3\) of float64 needs 96 bytes"):
        load_npy_pair(tmp_path / "x.npy", None)
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 3)), y=np.zeros(4))
    raw = (tmp_path / "d.npz").read_bytes()
    (tmp_path / "d.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"d\.npz: not a valid \.npz archive"):
        load_npz(tmp_path / "d.npz")


def test_corrupted_npz_bytes_fail_the_checksum(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.ones((4, 3)), y=np.zeros(4))
    raw = bytearray((tmp_path / "d.npz").read_bytes())
    offset = raw.index(np.ones(1).tobytes())  # inside x's data
    raw[offset] ^= 0xFF
    (tmp_path / "d.npz").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="Bad CRC-32"):
        load_npz(tmp_path / "d.npz")


def test_unknown_file_types_and_file_counts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown file type '\.json'"):
        load_file([tmp_path / "d.json"])
    with pytest.raises(ConfigError, match=r"two data files must both be \.npy"):
        load_file([tmp_path / "x.npy", tmp_path / "y.csv"])
    with pytest.raises(ConfigError, match="--target chooses CSV columns"):
        load_file([tmp_path / "d.npz"], ["1"])


# --- inputs to predict on ----------------------------------------------------------------------


def test_prediction_inputs_with_or_without_the_target_column(tmp_path: Path) -> None:
    only_x, _ = load_inputs([write(tmp_path, "x.csv", "a,b\n1,2\n")], ["a", "b"])
    assert np.array_equal(only_x.x, [[1.0, 2.0]]) and only_x.y is None
    with_y, _ = load_inputs([write(tmp_path, "xy.csv", "a,t,b\n1,9,2\n")], ["a", "b"], ["t"])
    assert np.array_equal(with_y.x, [[1.0, 2.0]]) and np.array_equal(with_y.y, [[9.0]])
    with pytest.raises(DataError, match=r"has 4 columns and no header naming them; the model "
                                        r"expects 2 input column\(s\)"):  # fmt: skip
        load_inputs([write(tmp_path, "w.csv", "1,2,3,4\n")], ["a", "b"])
    np.save(tmp_path / "x.npy", np.zeros((2, 3)))
    with pytest.raises(DataError, match="has 3 input columns; the model expects 2"):
        load_inputs([tmp_path / "x.npy"], ["a", "b"])


# --- bundled datasets --------------------------------------------------------------------------


def test_bundled_datasets() -> None:
    pytest.importorskip("sklearn", reason="the bundled datasets come with scikit-learn")
    digits = load_dataset("digits")
    assert digits.task == "classification" and digits.x.shape == (1797, 64)
    assert digits.y is not None and np.unique(digits.y).tolist() == list(range(10))
    diabetes = load_dataset("diabetes")
    assert diabetes.x.shape == (442, 10) and diabetes.y is not None
    assert diabetes.y.shape == (442, 1) and diabetes.feature_names[:3] == ("age", "sex", "bmi")
    linnerud = load_dataset("linnerud")
    assert linnerud.y is not None and linnerud.y.shape == (20, 3)
    assert linnerud.target_names == ("Weight", "Waist", "Pulse")
    with pytest.raises(ConfigError, match="unknown dataset 'iris'"):
        load_dataset("iris")


def test_random_dataset_is_the_seeds_draws() -> None:
    data, params = random_dataset(3, 8, 5, 4, 2)
    x, y, expected = seed_draws(3, SeedProblem(8, 5, 4, 2))
    assert np.array_equal(data.x, x) and np.array_equal(data.y, y)
    assert np.array_equal(params.w1, expected.w1) and np.array_equal(params.w2, expected.w2)


# --- fuzzing: only DataError may come out ------------------------------------------------------


def _load_any(path: Path) -> None:
    if path.suffix == ".csv":
        load_table(path)
    elif path.suffix == ".npz":
        load_npz(path)
    else:
        load_npy_pair(path, path)


@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".npy", ".npz"]))
def test_random_bytes_give_only_data_errors(tmp_path_factory: pytest.TempPathFactory,
                                            data: bytes, suffix: str) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(DataError):
        _load_any(path)


def _valid_bytes(suffix: str) -> bytes:
    buffer = io.BytesIO()
    x = np.arange(12.0).reshape(4, 3)
    if suffix == ".csv":
        return b"a,b,c,y\n" + b"".join(
            b"%d,%d,%d,%d\n" % (i, i + 1, i + 2, i + 3) for i in range(4)
        )
    if suffix == ".npz":
        np.savez(buffer, x=x, y=np.arange(4.0))
    else:
        np.save(buffer, x)
    return buffer.getvalue()


@given(
    suffix=st.sampled_from([".csv", ".npy", ".npz"]),
    cut=st.integers(min_value=0, max_value=2000),
    flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 255)), max_size=4),
    insert=st.binary(max_size=8),
)
def test_mangled_files_give_only_data_errors(
    tmp_path_factory: pytest.TempPathFactory,
    suffix: str,
    cut: int,
    flips: list[tuple[int, int]],
    insert: bytes,
) -> None:
    raw = bytearray(_valid_bytes(suffix))
    for where, mask in flips:
        raw[where % len(raw)] ^= mask
    raw[cut % len(raw) : cut % len(raw)] = insert
    path = tmp_path_factory.mktemp("mangled") / f"f{suffix}"
    path.write_bytes(bytes(raw[: max(1, len(raw) - cut // 3)]))
    with contextlib.suppress(DataError):
        _load_any(path)


def test_npz_with_a_huge_declared_shape_is_refused_without_allocating(tmp_path: Path) -> None:
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12, 10**6)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as archive:
        archive.writestr("x.npy", buffer.getvalue() + b"\0" * 16)
        archive.writestr("y.npy", buffer.getvalue())
    with pytest.raises(DataError, match="truncated"):
        load_npz(tmp_path / "big.npz")
