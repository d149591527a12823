"""Seeded test and validation splits, standardisation, preprocessing and class labels."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.data.prep import (
    SQUARES_BLOCK,
    Dataset,
    Preprocessing,
    Scaler,
    fit_preprocessing,
    label_indices,
    one_hot,
)
from twolayer.data.splits import TEST_STREAM, VALIDATION_STREAM, split_indices, validation_split
from twolayer.errors import ConfigError, DataError

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


@pytest.mark.parametrize("weighted", [False, True])
def test_scaler_statistics_over_several_blocks_of_rows(weighted: bool) -> None:
    # More rows than one block of the sums of squares (and a short last block): the same
    # statistics as NumPy's own, the input untouched, the result a new array.
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2 * SQUARES_BLOCK + 7, 4)) * [1.0, 3.0, 1e-3, 50.0] + 7.0
    before = a.copy()
    weight = rng.random(len(a)) * 3 if weighted else None
    scaler = Scaler.fit(a, weight)
    mean = np.average(a, axis=0, weights=weight)
    std = np.sqrt(np.average((a - mean) ** 2, axis=0, weights=weight))
    np.testing.assert_allclose(scaler.mean, mean, rtol=1e-14)
    np.testing.assert_allclose(scaler.scale, std, rtol=1e-13)
    z = scaler.transform(a)
    assert z is not a and np.array_equal(a, before)
    assert np.array_equal(z, (a - scaler.mean) / scaler.scale)  # bit for bit the formula


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


def reference_validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The validation split the training loop has always held out, written out on its own."""
    n_val = max(1, round(n * fraction))
    if n_val >= n:
        raise DataError(
            f"a validation fraction of {fraction} leaves no training samples out of {n}"
        )
    order = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1]).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


@pytest.mark.parametrize(
    ("n", "fraction", "seed"),
    [
        (20, 0.25, 3),
        (20, 0.25, 4),
        (10, 0.3, 5),
        (1000, 0.1, 2**32 - 1),
        (33, 0.49, 12345),
        (4, 0.5, 8),
    ],
)
def test_validation_stream_is_trains_validation_split(n: int, fraction: float, seed: int) -> None:
    want = reference_validation_split(n, fraction, seed)
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
    with pytest.raises(DataError) as want:
        reference_validation_split(n, fraction, 0)
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
    # TrainConfig checks validation_fraction; the split itself needs two samples to hold out
    for n, fraction in ((7, 0.0), (2, 0.5), (5, 0.05)):
        with pytest.raises(DataError, match="the validation set is too small: a fraction of"):
            validation_split(n, fraction, 0)
    assert split_indices(7, 0.1, 0)[1].size == 1  # a test set of one sample is allowed


def test_stratified_split_keeps_the_class_proportions() -> None:
    labels = np.array([0] * 40 + [1] * 20 + [2] * 10 + [3] * 2)
    train, val = validation_split(72, 0.25, 11, labels)
    # 18 held: shares 10, 5, 2.5, 0.5; the one left over by rounding down goes to the first of
    # the largest remainders (class 2)
    assert np.bincount(labels[val], minlength=4).tolist() == [10, 5, 3, 0]
    assert sorted({*train, *val}) == list(range(72)) and not set(train) & set(val)
    assert np.array_equal(validation_split(72, 0.25, 11, labels)[1], val)  # seeded
    # labels of the same order (strings, one-hot argmax) give the same split
    names = np.array(["a", "b", "c", "d"])[labels]
    assert np.array_equal(validation_split(72, 0.25, 11, names)[1], val)
    assert not np.array_equal(validation_split(72, 0.25, 12, labels)[1], val)


def test_stratified_split_refuses_a_class_of_one() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    with pytest.raises(DataError, match="the least populated class has only 1 sample"):
        validation_split(7, 0.3, 0, labels)
