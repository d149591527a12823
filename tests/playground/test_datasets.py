"""Drawn sets and points added or removed by clicking (the user's file: test_userfile.py)."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.playground.datasets import (
    DRAWN,
    MAX_EDIT_TEXT,
    MAX_EDITS,
    Edit,
    EditsCancelledError,
    apply_edits,
    draw,
    edit_limits,
    parse_edits,
)


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_drawn_sets_are_seeded_and_in_the_unit_square(name: str) -> None:
    a, b = draw(name, 120, 0.05, 3, seed=4), draw(name, 120, 0.05, 3, seed=4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.targets(), b.targets())
    assert not np.array_equal(a.x, draw(name, 120, 0.05, 3, seed=5).x)
    assert a.x.shape == (120, 1 if name == "sine" else 2)
    assert np.all(np.abs(a.x) < 1.5)
    if a.task == "classification":
        expected = 2 if name in ("circle", "xor") else 3
        assert sorted(np.unique(a.targets()).tolist()) == list(range(expected))
    else:
        assert a.targets().shape == (120, 1)


def test_circle_puts_class_zero_inside() -> None:
    data = draw("circle", 400, 0.0, 2, seed=0)
    radius = np.hypot(data.x[:, 0], data.x[:, 1])
    labels = data.targets()
    assert radius[labels == 0].max() < radius[labels == 1].min()


def test_xor_labels_opposite_signs() -> None:
    data = draw("xor", 200, 0.0, 2, seed=0)
    assert np.array_equal(data.targets(), (data.x[:, 0] * data.x[:, 1] < 0).astype(int))


def test_edits_round_trip_through_text() -> None:
    edits = [Edit("add", (0.25, -0.5), 1.0), Edit("remove", (0.1, 0.2))]
    text = ";".join(e.to_text() for e in edits)
    assert text == "a,0.25,-0.5,1;r,0.1,0.2"
    assert parse_edits(text, 2) == edits
    assert parse_edits("", 2) == []


@pytest.mark.parametrize("text", ["a,1,2", "x,1,2", "r,1,nan", "a,1,two,0"])
def test_bad_edits_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="edit"):
        parse_edits(text, 2)


def test_an_added_point_joins_the_training_set_and_remove_takes_the_nearest() -> None:
    train, test = draw("gaussians", 30, 0.0, 3, seed=0).split(0.3, 0)
    classes = np.arange(3)
    train2, test2 = apply_edits(train, test, [Edit("add", (0.9, 0.9), 2.0)], classes)
    assert train2.n_samples == train.n_samples + 1 and test2 is test
    assert train2.targets()[-1] == 2 and np.allclose(train2.x[-1], [0.9, 0.9])
    target = test.x[3]
    train3, test3 = apply_edits(train2, test2, [Edit("remove", tuple(target + 1e-6))], classes)
    assert np.array_equal(train3.x, train2.x) and np.array_equal(train3.y, train2.y)
    assert test3 is not None and test3.n_samples == test.n_samples - 1
    assert not np.any(np.all(test3.x == target, axis=1))


def test_the_last_training_point_is_never_removed() -> None:
    data = draw("circle", 10, 0.0, 2, seed=0).subset(np.arange(1))
    kept, _ = apply_edits(data, None, [Edit("remove", tuple(data.x[0]))], np.arange(2))
    assert kept.n_samples == 1


def test_an_added_class_must_exist() -> None:
    data = draw("circle", 20, 0.0, 2, seed=0)
    with pytest.raises(ConfigError, match="class index 5"):
        apply_edits(data, None, [Edit("add", (0.0, 0.0), 5.0)], np.arange(2))


def _random_edits(rng: np.random.Generator, n: int, classes: int) -> list[Edit]:
    kinds = rng.choice(["add", "remove"], n, p=[0.6, 0.4])
    points = rng.uniform(-1, 1, (n, 2))
    return [Edit(str(k), (float(u), float(v)), float(rng.integers(classes)) if k == "add" else 0.0)
            for k, (u, v) in zip(kinds, points, strict=True)]  # fmt: skip


def test_a_replay_at_once_equals_the_edits_one_at_a_time() -> None:
    train, test = draw("spiral", 60, 0.05, 3, seed=1).split(0.3, 1)
    edits = _random_edits(np.random.default_rng(5), 120, 3)
    classes = np.arange(3)
    whole = apply_edits(train, test, edits, classes)
    one, other = train, test
    for e in edits:
        one, other = apply_edits(one, other, [e], classes)
    assert np.array_equal(whole[0].x, one.x) and np.array_equal(whole[0].y, one.y)
    assert whole[1] is not None and other is not None
    assert np.array_equal(whole[1].x, other.x) and np.array_equal(whole[1].y, other.y)


def test_a_replay_copies_the_data_a_fixed_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear time: the arrays are built once for the whole replay, not once per edit (which
    made 400,000 clicked points cost a quadratic number of copies)."""
    import twolayer.playground.datasets as datasets

    copies = []
    concatenate = np.concatenate
    monkeypatch.setattr(
        datasets.np, "concatenate", lambda *a, **k: copies.append(1) or concatenate(*a, **k)
    )
    train = draw("circle", 60, 0.0, 2, seed=0)
    for n in (10, MAX_EDITS):
        edits = _random_edits(np.random.default_rng(n), n, 2)
        copies.clear()
        apply_edits(train, None, edits, np.arange(2))
        assert len(copies) == 2, n  # x and y, once each


def test_edits_are_bounded_in_count_and_length() -> None:
    one = "a,0.1,0.2,1"
    assert len(parse_edits(";".join([one] * MAX_EDITS), 2)) == MAX_EDITS
    with pytest.raises(ConfigError, match=f"at most {MAX_EDITS}"):
        parse_edits(";".join([one] * (MAX_EDITS + 1)), 2)
    with pytest.raises(ConfigError, match=f"at most {MAX_EDIT_TEXT}"):
        parse_edits("a,0.1,0.2,1" + " " * MAX_EDIT_TEXT, 2)


@pytest.mark.parametrize("text", ["a,1e308,0,1", "a,0,-1e308,0", "r,0,1e300", "a,3.5,0,1"])
def test_points_far_outside_the_plane_are_refused(text: str) -> None:
    data = draw("circle", 40, 0.0, 2, seed=0)
    limits = edit_limits(data, drawn=True)
    assert limits[0][0] <= -3 and limits[0][1] >= 3 - 1e-9 and len(limits) == 2
    with pytest.raises(ConfigError, match="outside the plane's reach"):
        apply_edits(data, None, parse_edits(text, 2), np.arange(2), limits)


def test_a_regression_value_is_bounded_too() -> None:
    data = draw("sine", 40, 0.0, 2, seed=0)
    limits = edit_limits(data, drawn=True)
    assert len(limits) == 2  # x and the target
    with pytest.raises(ConfigError, match="the value"):
        apply_edits(data, None, [Edit("add", (0.0,), 1e9)], None, limits)


def test_a_replay_stops_when_asked_and_changes_nothing() -> None:
    data = draw("circle", 40, 0.0, 2, seed=0)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 5

    with pytest.raises(EditsCancelledError):
        apply_edits(data, None, _random_edits(np.random.default_rng(0), 50, 2), np.arange(2),
                    stop=stop)  # fmt: skip
    assert len(asked) == 6 and data.n_samples == 40
