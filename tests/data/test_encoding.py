"""The encoding of a table's columns: one-hot categories, filled cells, dates; fitted on the
training rows only and written into model files (TableEncoding.to_dict / from_dict)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from twolayer.data.columns import MISSING_WORDS, Column
from twolayer.data.encoding import MAX_CATEGORIES, ColumnEncoding, TableEncoding


def column(*cells: Any) -> np.ndarray:
    return np.asarray(cells, dtype=object)


def test_categories_become_one_input_each_and_a_missing_cell_its_own() -> None:
    colour = Column("colour", "category")
    part = ColumnEncoding.fit(colour, colour.values(column("red", "blue", "red", "NA", "blue")))
    assert part.names == ["colour=blue", "colour=red", "colour=(missing)"]
    out, counts = part.transform(colour.values(column("red", "", "blue")))
    np.testing.assert_array_equal(out, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert counts == {"missing": 1, "unseen": 0}


def test_rare_and_unseen_categories_share_other_and_without_it_set_no_input() -> None:
    city = Column("city", "category")
    cells = column("a", "a", "b", "b", "c", "d")  # c and d are seen once: grouped
    part = ColumnEncoding.fit(city, city.values(cells))
    assert part.categories == ("a", "b") and part.grouped == ("c", "d")
    assert part.names == ["city=a", "city=b", "city=(other)"]
    out, counts = part.transform(city.values(column("d", "z", "a")))
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 0, 1], [1, 0, 0]])  # z: rarer than d
    assert counts == {"missing": 0, "unseen": 1}
    every = ColumnEncoding.fit(city, city.values(column("a", "a", "b", "b")))
    assert every.transform(city.values(column("z")))[0].tolist() == [[0, 0]]  # no (other)


def test_at_most_max_categories_inputs_the_most_frequent() -> None:
    many = Column("code", "category")
    n = MAX_CATEGORIES + 10
    cells = [f"k{j:03d}" for j in range(n) for _ in range(j + 2)]  # the last the most frequent
    part = ColumnEncoding.fit(many, many.values(column(*cells)))
    assert len(part.categories) == MAX_CATEGORIES
    assert set(part.categories) == {f"k{j:03d}" for j in range(10, n)}
    assert len(part.grouped) == 10


def test_numbers_take_the_training_median_and_a_missing_indicator() -> None:
    price = Column("price", "number")
    part = ColumnEncoding.fit(price, price.values(column("1", "NA", "3", "10")))
    assert part.fill == 3.0 and part.indicator
    assert part.names == ["price", "price (missing)"]
    out, counts = part.transform(price.values(column("?", "7")))
    np.testing.assert_array_equal(out, [[3.0, 1.0], [7.0, 0.0]])
    assert counts["missing"] == 1
    complete = ColumnEncoding.fit(price, price.values(column("1", "2")))
    assert not complete.indicator and complete.names == ["price"]  # nothing to say


def test_the_statistics_come_from_the_rows_fitted_on_only() -> None:
    columns = [Column("a", "number"), Column("b", "category")]
    rows = np.asarray([["1", "x"], ["2", "x"], ["3", "y"], ["1000", "y"]], dtype=object)
    train = TableEncoding.fit(rows[:3], columns)
    assert train.parts[0].fill == 2.0  # the held-out 1000 does not move the median
    everything = TableEncoding.fit(rows, columns)
    assert everything.parts[0].fill == 2.5


def test_dates_are_days_and_their_place_in_the_year_and_the_day() -> None:
    when = Column("when", "date")
    cells = column("2024-01-01", "2024-07-01 12:00", "NA", "2024-04-01 06:00")
    part = ColumnEncoding.fit(when, when.values(cells))
    assert part.cyclic == ("year", "day") and part.indicator
    assert part.names == [
        "when (days)", "when (day of year sin)", "when (day of year cos)",
        "when (time of day sin)", "when (time of day cos)", "when (missing)",
    ]  # fmt: skip
    out, _ = part.transform(when.values(column("2024-01-01", "2024-07-01 12:00")))
    days = float(np.datetime64("2024-01-01", "D").astype(np.int64))
    assert out[0, 0] == days and out[1, 0] == days + 182 + 0.5
    np.testing.assert_allclose(out[0, 1:3], [0.0, 1.0], atol=1e-12)  # 1 January: angle 0
    np.testing.assert_allclose(out[1, 3:5], [0.0, -1.0], atol=1e-12)  # noon: half a turn
    only_days = ColumnEncoding.fit(when, when.values(column("2024-03-01", "2024-03-01")))
    assert only_days.cyclic == ()  # one day of the year, no time: nothing varies


def test_the_table_encoding_notes_what_it_filled_and_did_not_know() -> None:
    columns = [Column("n", "number"), Column("c", "category"), Column("b", "boolean",
                                                                       ("no", "yes"))]  # fmt: skip
    rows = np.asarray([["1", "x", "yes"], ["2", "x", "no"], ["3", "y", "no"], ["4", "y", "yes"]],
                      dtype=object)  # fmt: skip
    enc = TableEncoding.fit(rows, columns)
    assert enc.feature_names == ("n", "c=x", "c=y", "b")
    notes: list[str] = []
    out = enc.transform(np.asarray([["", "z", "maybe"]], dtype=object), notes)
    np.testing.assert_array_equal(out, [[2.5, 0, 0, 0.5]])
    assert notes == [
        "missing or unreadable cells, filled in as in training: 'n' 1, 'b' 1",
        "categories not seen in training, encoded as (other) or as none of the known ones: 'c' 1",
    ]


def test_an_encoding_survives_json_exactly() -> None:
    columns = [Column("n", "number"), Column("c", "category"), Column("d", "date", order="dmy"),
               Column("b", "boolean", ("n", "y"))]  # fmt: skip
    rows = np.asarray([["1.5", "x", "31/01/2024", "y"], ["NA", "x", "01/02/2024", "n"],
                       ["2", "q", "?", "y"], ["3", "w", "15/06/2024", "n"]], dtype=object)  # fmt: skip
    enc = TableEncoding.fit(rows, columns, MISSING_WORDS | {"-"})
    back = TableEncoding.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert back == enc
    np.testing.assert_array_equal(back.transform(rows), enc.transform(rows))


def _valid() -> dict[str, Any]:
    rows = np.asarray([["1", "x"], ["2", "y"]], dtype=object)
    return TableEncoding.fit(rows, [Column("n", "number"), Column("c", "category")]).to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(parts=[]), "non-empty list 'parts'"),
        (lambda d: d.update(missing="na"), "'missing' must be a list of texts"),
        (lambda d: d["parts"][0]["column"].update(kind="text"), "kind must be one of"),
        (lambda d: d["parts"][0].update(fill=math.inf), "fill must be a finite number"),
        (lambda d: d["parts"][0].update(fill=True), "fill must be a finite number"),
        (lambda d: d["parts"][0].update(indicator="no"), "indicator must be true or false"),
        (lambda d: d["parts"][1].update(categories=[]), "needs its categories"),
        (lambda d: d["parts"][1].update(grouped=[1]), "grouped must be a list of texts"),
        (lambda d: d["parts"][0].update(cyclic=["year"]), "cyclic must list year or day"),
        (lambda d: d["parts"][1]["column"].update(name="n"), "two columns have the same name"),
        (lambda d: d["parts"][0]["column"].update(order="ydm"), "order must be ymd, dmy or mdy"),
    ],
)
def test_a_damaged_encoding_is_refused_naming_what_is_wrong(change: Any, message: str) -> None:
    d = _valid()
    change(d)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        TableEncoding.from_dict(d)


def test_rows_of_the_wrong_width_are_refused() -> None:
    enc = TableEncoding.from_dict(_valid())
    with pytest.raises(ValueError, match=r"expected rows of 2 columns, got shape \(1, 3\)"):
        enc.transform(np.asarray([["1", "x", "y"]], dtype=object))


def test_only_numbers_and_days_are_standardised_afterwards() -> None:
    from twolayer.data.prep import fit_preprocessing

    columns = [Column("n", "number"), Column("c", "category"), Column("d", "date")]
    rows = np.asarray([["1", "x", "2024-01-01"], ["NA", "y", "2024-05-01"],
                       ["5", "x", "2024-09-01"], ["9", "y", "2024-12-01"]], dtype=object)  # fmt: skip
    prep = fit_preprocessing(rows, np.zeros((4, 1)), columns=columns)
    assert prep.encoding is not None and prep.x_scaler is not None
    assert prep.encoding.feature_names == ("n", "n (missing)", "c=x", "c=y", "d (days)",
                                           "d (day of year sin)", "d (day of year cos)")  # fmt: skip
    kept = [False, True, True, True, False, True, True]  # 0/1 inputs and circles as they are
    np.testing.assert_array_equal(prep.encoding.scaled, np.logical_not(kept))
    assert np.all(prep.x_scaler.mean[kept] == 0) and np.all(prep.x_scaler.scale[kept] == 1)
    x = prep.inputs(rows)
    np.testing.assert_array_equal(x[:, 2:4], [[1, 0], [0, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(x[:, [0, 4]].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x[:, [0, 4]].std(axis=0), 1)
