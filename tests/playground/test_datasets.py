"""Drawn sets, the user's file, and points added or removed by clicking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.playground.datasets import (
    DRAWN,
    Edit,
    apply_edit,
    draw,
    load_user_file,
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
    train2, test2 = apply_edit(train, test, Edit("add", (0.9, 0.9), 2.0), classes)
    assert train2.n_samples == train.n_samples + 1 and test2 is test
    assert train2.targets()[-1] == 2 and np.allclose(train2.x[-1], [0.9, 0.9])
    target = test.x[3]
    train3, test3 = apply_edit(train2, test2, Edit("remove", tuple(target + 1e-6)), classes)
    assert train3 is train2 and test3 is not None and test3.n_samples == test.n_samples - 1
    assert not np.any(np.all(test3.x == target, axis=1))


def test_an_added_class_must_exist() -> None:
    data = draw("circle", 20, 0.0, 2, seed=0)
    with pytest.raises(ConfigError, match="class index 5"):
        apply_edit(data, None, Edit("add", (0.0, 0.0), 5.0), np.arange(2))


def test_a_user_file_takes_whole_number_labels_as_classes(tmp_path: Path) -> None:
    rows = "\n".join(f"{i / 10},{(i * 7 % 5) / 5},{i % 3}" for i in range(30))
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n" + rows + "\n")
    data = load_user_file([str(path)], ["label"])
    assert data.task == "classification" and data.x.shape == (30, 2)
    assert load_user_file([str(path)], ["label"], "regression").task == "regression"
    assert load_user_file([str(path)], ["b"]).task == "regression"  # fractions: values
