"""Seeded splits of a dataset's samples into training and held-out (test or validation) ones,
stratified by class where asked: the same split every time for the same seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.config import generator
from twolayer.errors import DataError, Range


@dataclass(frozen=True)
class SplitStream:
    """One kind of held-out set: the spawn key of its generator and the words of its messages.

    Attributes
    ----------
    stream : the name of its random stream in :data:`twolayer.config.STREAMS`; a stream of its
        own keeps the split independent of every other generator drawn from the same seed.
    too_few : the message when the held-out share leaves no training samples
        (``{fraction}`` and ``{n}`` are filled in).
    parameter : the name under which the fraction is checked to lie in (0, 1); None when the
        caller has checked it already.
    smallest : the fewest samples the held-out set may have.
    """

    stream: str
    too_few: str
    parameter: str | None = None
    smallest: int = 1


TEST_STREAM = SplitStream(
    "test",
    "a test fraction of {fraction} leaves no training samples of {n}",
    "test_fraction",
)
"""The held-out test set of ``twolayer train --test-fraction`` and :meth:`Dataset.split`."""

VALIDATION_STREAM = SplitStream(
    "split",
    "a validation fraction of {fraction} leaves no training samples out of {n}",
    smallest=2,
)
"""The validation set of ``TrainConfig.validation_fraction`` (checked by TrainConfig); like
scikit-learn's, it needs two samples at least (one cannot be scored)."""


def split_indices(
    n: int, fraction: float, seed: int, stream: SplitStream = TEST_STREAM,
    labels: NDArray[Any] | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:  # fmt: skip
    """Seeded split of ``range(n)`` into sorted (train, held-out) index arrays.

    ``round(n * fraction)`` samples (at least one) are held out, drawn by the stream's generator
    (:func:`twolayer.config.generator`): the test split (:data:`TEST_STREAM`, the default) is
    independent of the generators that :func:`twolayer.train.train` draws from the same seed,
    and the validation split (:data:`VALIDATION_STREAM`) is the one ``train`` holds out.

    With ``labels`` (N,) the split is stratified: each class gives the held-out set its share
    of ``n_held`` (rounded by largest remainder, at least one sample of each class stays for
    training), so both sets keep the classes' proportions.  A class of one sample cannot be
    split: that is a DataError, as in scikit-learn's stratified splits.
    """
    if stream.parameter is not None and not 0 < fraction < 1:
        Range(0, 1, low_open=True, high_open=True).check(stream.parameter, fraction)
    counts = None if labels is None else np.unique(np.asarray(labels), return_counts=True)[1]
    if counts is not None and counts.min() < 2:  # first, as scikit-learn's stratified splits
        raise DataError(
            f"the least populated class has only {counts.min()} sample; a stratified split "
            "needs at least 2 of every class"
        )
    n_held = held_out(n, fraction)
    if n_held >= n:
        raise DataError(stream.too_few.format(fraction=fraction, n=n))
    if n_held < stream.smallest:
        raise DataError(
            f"the validation set is too small: a fraction of {fraction} holds out {n_held} of "
            f"{n} samples and it needs {stream.smallest}; raise the fraction or add samples"
        )
    order = generator(seed, stream.stream).permutation(n)
    if labels is None:
        return np.sort(order[n_held:]), np.sort(order[:n_held])
    held = _stratified(order, np.asarray(labels), n_held)
    return np.sort(order[~held]), np.sort(order[held])


def held_out(n: int, fraction: float) -> int:
    """How many of ``n`` samples a held-out ``fraction`` takes: ``round(n * fraction)``, at least
    one (0 for a fraction of 0)."""
    return max(1, round(n * fraction)) if fraction > 0 else 0


def _stratified(order: NDArray[np.intp], labels: NDArray[Any], n_held: int) -> NDArray[np.bool_]:
    """Which positions of the permutation ``order`` are held out: the first ``quota[c]`` samples
    of each class ``c`` in that order, the quotas proportional to the classes' sizes."""
    _, cls, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * (n_held / len(labels))  # each class's share of the held-out set
    quota = np.floor(exact).astype(np.intp)
    extra = np.argsort(-(exact - quota), kind="stable")[: n_held - int(quota.sum())]
    quota[extra] += 1  # the largest remainders take the samples rounding left over
    quota = np.minimum(quota, counts - 1)  # every class keeps a training sample
    ordered = cls[order]  # the class of each position of the permutation
    by_class = np.argsort(ordered, kind="stable")  # positions grouped by class, in order
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(order), np.intp)
    rank[by_class] = np.arange(len(order)) - np.repeat(starts, counts)
    held: NDArray[np.bool_] = rank < quota[ordered]
    return held


def validation_split(
    n: int, fraction: float, seed: int, labels: NDArray[Any] | None = None
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Seeded split of ``range(n)`` into sorted (train, validation) index arrays: the
    validation samples :func:`twolayer.train.train` holds out for ``validation_fraction``
    (stratified by ``labels`` (N,) when given: the classes of a classification run)."""
    return split_indices(n, fraction, seed, VALIDATION_STREAM, labels)


__all__ = ["TEST_STREAM", "VALIDATION_STREAM", "SplitStream", "held_out", "split_indices",
           "validation_split"]  # fmt: skip
