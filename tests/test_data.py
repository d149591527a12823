"""Loaders, bundled datasets, splitting and scaling: exact values, and every bad input's message.

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

from twolayer.data import (
    TEST_STREAM,
    VALIDATION_STREAM,
    Dataset,
    Preprocessing,
    Scaler,
    fit_preprocessing,
    label_indices,
    load_csv,
    load_dataset,
    load_file,
    load_inputs,
    load_npy_pair,
    load_npz,
    one_hot,
    random_dataset,
    split_indices,
    validation_split,
)
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError, DataError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_with_header_takes_the_last_column_as_target(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b,y\n1,2,3\n4,5,6.5\n")
    data = load_csv(path)
    assert np.array_equal(data.x, [[1.0, 2.0], [4.0, 5.0]])
    assert np.array_equal(data.y, [[3.0], [6.5]])
    assert data.feature_names == ("a", "b")
    assert data.target_names == ("y",)


def test_csv_without_header_and_targets_by_number(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "1,2,3,4\n5,6,7,8\n")
    data = load_csv(path, ["1", "-1"])
    assert np.array_equal(data.x, [[2.0, 3.0], [6.0, 7.0]])
    assert np.array_equal(data.y, [[1.0, 4.0], [5.0, 8.0]])
    assert data.feature_names == ("column 2", "column 3")
    assert data.target_names == ("column 1", "column 4")


def test_csv_several_targets_by_name_keep_their_order(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "p,q,r,s\n1,2,3,4\n")
    data = load_csv(path, ["s", "q"])
    assert np.array_equal(data.x, [[1.0, 3.0]])
    assert np.array_equal(data.y, [[4.0, 2.0]])
    assert data.target_names == ("s", "q")


def test_csv_tabs_blank_lines_spaces_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_bytes(b"\xef\xbb\xbfa\ty\n\n 1 \t 2\n\n3\t4\n\n")
    data = load_csv(path)
    assert np.array_equal(data.x, [[1.0], [3.0]])
    assert np.array_equal(data.y, [[2.0], [4.0]])
    assert data.feature_names == ("a",)


def test_csv_classification_labels_may_be_text_or_integers(tmp_path: Path) -> None:
    text = load_csv(write(tmp_path, "t.csv", "a,kind\n1,cat\n2,dog\n"), task="classification")
    assert text.y is not None and text.y.tolist() == ["cat", "dog"]
    ints = load_csv(write(tmp_path, "i.csv", "1,7\n2,3.0\n"), task="classification")
    assert ints.y is not None and ints.y.dtype == np.int64 and ints.y.tolist() == [7, 3]


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("a,b\n1,x\n", None, "row 2, column 2 ('b'): 'x' is not a number"),
        ("1,2\n3,\n", None, "row 2, column 2: empty"),
        ("a,b\n1,2\nnan,3\n", None, "row 3, column 1 ('a'): 'nan' is not a finite number"),
        ("a,b\n1,inf\n", None, "row 2, column 2 ('b'): 'inf' is not a finite number"),
        ("a,b,c\n1,2,3\n4,5\n", None, "row 3 has 2 columns, expected 3"),
        ("a,b\n1,2\n", ["z"], "unknown target column 'z'; the file has 2 columns"),
        ("a,b\n1,2\n", ["3"], "unknown target column '3'"),
        ("a,b\n1,2\n", ["a", "b"], "the targets leave no input columns"),
        ("a,b\n", None, "holds a header but no data rows"),
        ("\n\n", None, "holds no rows"),
        ("1\n2\n", None, "needs at least two columns"),
        ('a,b\n"1,2\n', None, "row 2: unexpected end of data"),
    ],
)
def test_csv_errors_name_the_file_row_and_column(
    tmp_path: Path, text: str, target: list[str] | None, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as info:
        load_csv(path, target)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_text_targets_of_a_regression_point_to_classification(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,kind\n1,cat\n")
    with pytest.raises(DataError, match="'cat' is not a number; class labels need the cross_ent"):
        load_csv(path)
    with pytest.raises(DataError, match=r"'nan' is not a finite number \(NaN or infinite\)$"):
        load_csv(write(tmp_path, "n.csv", "a,y\n1,nan\n"))


def test_classification_needs_one_label_column(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="classification takes one label column, got 2 targets"):
        load_csv(path, ["b", "c"], task="classification")


def test_missing_directory_empty_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing\.csv: no such file$"):
        load_csv(tmp_path / "missing.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError, match=r"folder\.csv: is a directory, not a file$"):
        load_csv(folder)
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty$"):
        load_csv(write(tmp_path, "empty.csv", ""))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"a,b\n1,2\n3,\xe9\n")
    with pytest.raises(DataError, match=r"latin\.csv: row 3: not UTF-8 text"):
        load_csv(latin)


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
    only_x = load_inputs([write(tmp_path, "x.csv", "a,b\n1,2\n")], 2)
    assert np.array_equal(only_x.x, [[1.0, 2.0]]) and only_x.y is None
    with_y = load_inputs([write(tmp_path, "xy.csv", "a,t,b\n1,9,2\n")], 2, ["t"])
    assert np.array_equal(with_y.x, [[1.0, 2.0]])
    with pytest.raises(DataError, match=r"has 4 columns; the model expects 2 input columns"):
        load_inputs([write(tmp_path, "w.csv", "1,2,3,4\n")], 2)
    np.save(tmp_path / "x.npy", np.zeros((2, 3)))
    with pytest.raises(DataError, match="has 3 input columns; the model expects 2"):
        load_inputs([tmp_path / "x.npy"], 2)


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


# --- splitting and scaling ---------------------------------------------------------------------


def test_split_is_seeded_disjoint_and_complete() -> None:
    train, test = split_indices(100, 0.25, 7)
    assert len(test) == 25 and len(train) == 75
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    again = split_indices(100, 0.25, 7)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, split_indices(100, 0.25, 8)[1])
    with pytest.raises(DataError, match="leaves no training samples"):
        split_indices(2, 0.9, 0)
    with pytest.raises(ConfigError, match=r"test_fraction must be in \(0, 1\)"):
        split_indices(10, 1.0, 0)


def test_dataset_split_keeps_rows_together() -> None:
    x = np.arange(20.0).reshape(10, 2)
    data = Dataset(x, x[:, :1] * 10, "d", ("a", "b"), ("t",))
    train, test = data.split(0.3, 0)
    assert test is not None and test.n_samples == 3 and train.n_samples == 7
    assert test.y is not None and np.array_equal(test.y[:, 0], test.x[:, 0] * 10)
    assert data.split(0.0, 0) == (data, None)


def test_scaler_standardises_and_inverts() -> None:
    a = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    scaler = Scaler.fit(a)
    z = scaler.transform(a)
    assert np.allclose(z.mean(axis=0), 0.0) and np.allclose(z[:, [0, 2]].std(axis=0), 1.0)
    assert scaler.scale[1] == 1.0 and np.array_equal(z[:, 1], [0.0, 0.0, 0.0])
    assert np.allclose(scaler.inverse(z), a, rtol=0, atol=1e-15)


def test_preprocessing_for_each_task() -> None:
    x = np.array([[0.0], [2.0]])
    prep = fit_preprocessing(x, np.array(["b", "a"]), "classification")
    assert prep.task == "classification" and prep.classes is not None
    assert prep.classes.tolist() == ["a", "b"]
    assert np.array_equal(prep.targets(np.array(["a", "b", "b"])), [[1, 0], [0, 1], [0, 1]])
    assert np.array_equal(prep.inputs(x), [[-1.0], [1.0]])
    reg = fit_preprocessing(x, np.array([[10.0], [30.0]]), standardize=True)
    assert np.array_equal(reg.targets(np.array([[10.0], [30.0]])), [[-1.0], [1.0]])
    assert np.array_equal(reg.values(np.array([[0.0]])), [[20.0]])
    raw = Preprocessing()
    assert np.array_equal(raw.inputs(x), x) and raw.task == "regression"


def test_label_indices_and_one_hot() -> None:
    classes = np.array([2, 5, 9])
    assert label_indices(np.array([9, 2, 5]), classes).tolist() == [2, 0, 1]
    assert np.array_equal(one_hot(np.array([1, 0]), 3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(DataError, match=r"label 7 is not one of the classes \[2, 5, 9\]"):
        label_indices(np.array([2, 7]), classes)


def test_the_default_stream_is_the_test_split() -> None:
    train, test = split_indices(10, 0.3, 5)
    assert train.tolist() == [1, 3, 4, 5, 6, 8, 9] and test.tolist() == [0, 2, 7]
    for got, want in zip(split_indices(10, 0.3, 5, TEST_STREAM), (train, test), strict=True):
        assert np.array_equal(got, want)
    with pytest.raises(
        DataError, match=r"^a test fraction of 0\.9 leaves no training samples of 2$"
    ):
        split_indices(2, 0.9, 0)


@pytest.mark.parametrize(
    ("n", "fraction", "seed"),
    [
        (20, 0.25, 3),
        (20, 0.25, 4),
        (10, 0.3, 5),
        (7, 0.0, 0),
        (2, 0.5, 1),
        (1000, 0.1, 2**32 - 1),
        (33, 0.49, 12345),
        (5, 0.05, 8),
    ],
)
def test_validation_stream_is_trains_validation_split(n: int, fraction: float, seed: int) -> None:
    from twolayer.train import validation_split as trains

    want = trains(n, fraction, seed)
    for got in (
        split_indices(n, fraction, seed, VALIDATION_STREAM),
        validation_split(n, fraction, seed),
    ):
        assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # train's generator is the second of three spawned from the seed: the stream's spawn key
    order = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1]).permutation(n)
    assert np.array_equal(np.sort(order[: len(want[1])]), want[1])


@pytest.mark.parametrize(("n", "fraction"), [(1, 0.5), (10, 0.95), (4, 0.9), (3, 1.0), (3, 2.5)])
def test_validation_stream_refuses_as_train_does(n: int, fraction: float) -> None:
    from twolayer.train import validation_split as trains

    with pytest.raises(DataError) as want:
        trains(n, fraction, 0)
    message = f"a validation fraction of {fraction} leaves no training samples out of {n}"
    assert str(want.value) == message
    for split in (lambda: split_indices(n, fraction, 0, VALIDATION_STREAM),
                  lambda: validation_split(n, fraction, 0)):  # fmt: skip
        with pytest.raises(DataError) as got:
            split()
        assert str(got.value) == message


def test_validation_split_pinned_and_unchecked_fraction() -> None:
    train, val = validation_split(10, 0.3, 5)
    assert train.tolist() == [0, 1, 2, 3, 5, 6, 9] and val.tolist() == [4, 7, 8]
    # TrainConfig checks validation_fraction; the split itself holds out at least one sample
    assert validation_split(7, 0.0, 0)[1].tolist() == [6]


# --- fuzzing: only DataError may come out ------------------------------------------------------


def _load_any(path: Path) -> None:
    if path.suffix == ".csv":
        load_csv(path)
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
