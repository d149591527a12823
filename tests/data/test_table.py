"""Tables in: the CSV cells, each column's kind, the targets and the task, every problem of a
file at once, and columns matched by name for a trained model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from helpers import write
from twolayer.data.columns import Column, date_days, type_column
from twolayer.data.table import guess_task, load_for_model, load_table, read_table
from twolayer.errors import DataError

# --- the cells of a file --------------------------------------------------------------------------


def test_a_numeric_table_with_a_header_takes_the_last_column_as_target(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b,y\n1,2,3\n4,5,6.5\n7,8,1.25\n")
    data = load_table(path)
    assert data.x.dtype == np.float64 and np.array_equal(data.x, [[1, 2], [4, 5], [7, 8]])
    assert np.array_equal(data.y, [[3.0], [6.5], [1.25]])
    assert (data.feature_names, data.target_names, data.task) == (("a", "b"), ("y",), "regression")
    assert data.columns == (Column("a", "number"), Column("b", "number"))
    assert data.rows is not None and data.rows.tolist() == [2, 3, 4]  # lines of the file


def test_a_table_without_header_and_targets_by_number(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "1,2,3,4.5\n5,6,7,8.5\n9,9,2,1.5\n")
    data = load_table(path, ["1", "-1"])
    assert np.array_equal(data.x, [[2.0, 3.0], [6.0, 7.0], [9.0, 2.0]])
    assert np.array_equal(data.y, [[1.0, 4.5], [5.0, 8.5], [9.0, 1.5]])
    assert data.feature_names == ("column 2", "column 3")
    assert data.target_names == ("column 1", "column 4")


def test_tabs_blank_lines_spaces_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_bytes(b"\xef\xbb\xbfa\ty\n\n 1 \t 2.5\n\n3\t4.5\n\n")
    data = load_table(path)
    assert np.array_equal(data.x, [[1.0], [3.0]]) and np.array_equal(data.y, [[2.5], [4.5]])
    assert data.feature_names == ("a",)


# --- each column's kind ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "kind", "note"),
    [
        (["1", "2.5", "", "NA", "nan", "?", "-3e2"], "number", None),
        (["yes", "No", "YES", "", "no"], "boolean", None),
        (["T", "f", "t"], "boolean", None),
        (["2024-03-31", "2023-01-02 14:05", "2023-01-02T14:05:09Z", "NA"], "date", None),
        (["31/03/2024", "01/02/2023"], "date", None),  # a first part above 12: day first
        (["03/31/2024", "01/02/2023"], "date", None),  # a second part above 12: month first
        (["03/04/2024", "01/02/2023"], "date", "month/day/year"),  # nothing tells: said
        (["Biscoe", "Dream", "Dream", "Biscoe"], "category", None),
        (["2024-02-30", "2024-01-01"], "category", None),  # no such day: not a date
        ([str(v) for v in range(40)] + ["x"], "number", "1 cell(s) that are not numbers ('x')"),
    ],
)
def test_the_kind_of_a_column(cells: list[str], kind: str, note: str | None) -> None:
    typed = type_column("c", cells)
    assert typed.column is not None and typed.column.kind == kind
    assert (typed.note is None) if note is None else (note in str(typed.note))


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        ([f"name {k}" for k in range(12)], "every value is different"),
        ([str(k + 1) for k in range(12)], "it numbers the rows"),
        (["a", "a", "", "a"], "it holds one value ('a')"),
        (["", "NA", "null"], "every cell is missing"),
    ],
)
def test_columns_with_nothing_to_learn_are_ignored_with_a_note(cells: list[str], why: str) -> None:
    typed = type_column("c", cells)
    assert typed.column is None and why in str(typed.note)


def test_integer_codes_named_categorical_are_categories_and_words_may_mean_missing() -> None:
    assert type_column("c", ["1", "2", "1", "3"], categorical=True).column == Column(
        "c", "category"
    )
    missing = frozenset({"", "-"})
    assert type_column("c", ["1", "-", "2"], missing=missing).column == Column("c", "number")


def test_dates_are_days_since_1970_with_the_time_as_a_fraction() -> None:
    assert date_days("1970-01-02", "ymd") == 1.0
    assert date_days("1970-01-01 12:00", "ymd") == 0.5
    assert date_days("02/01/1970", "dmy") == 1.0 and date_days("01/02/1970", "mdy") == 1.0
    assert math.isnan(date_days("1970-13-01", "ymd")) and math.isnan(date_days("x", "ymd"))


def test_a_mixed_table_keeps_the_raw_cells_and_notes_what_it_decided(tmp_path: Path) -> None:
    text = ("id,name,when,island,ok,mass,kind\n"
            + "".join(f"{k},n{k},2024-01-{k + 1:02d},{'AB'[k % 2]},{'yes' if k % 3 else 'no'},"
                      f"{'' if k == 4 else 10 + k},{'cat' if k % 2 else 'dog'}\n" for k in range(12))
            + "12,n12,2024-02-01,A,no,5,NA\n")  # fmt: skip
    data = load_table(write(tmp_path, "t.csv", text))
    assert data.task == "classification" and data.y is not None
    assert data.y.tolist() == ["dog", "cat"] * 6  # the row with no label is left out
    assert [c.kind for c in data.columns or ()] == ["date", "category", "boolean", "number"]
    assert data.feature_names == ("when", "island", "ok", "mass")
    assert data.x.dtype == object and data.x[4].tolist() == ["2024-01-05", "A", "yes", ""]
    assert data.notes == (
        "1 row(s) with no 'kind' are left out",
        "'id' is ignored: it numbers the rows (1, 2, 3, ...)",
        "'name' is ignored: every value is different (an identifier or a name); choose it with "
        "--features to use it as a category",
    )
    chosen = load_table(write(tmp_path, "t.csv", text), features=["name", "mass"])
    assert chosen.feature_names == ("name", "mass") and chosen.columns is not None
    assert chosen.columns[0] == Column("name", "category")  # named by the user: kept


@pytest.mark.parametrize(
    ("cells", "task"),
    [(["1", "0", "1"], "classification"), (["3", "7", "9", "1"], "classification"),
     (["1.5", "2"], "regression"), ([str(k) for k in range(11)], "regression"),
     (["cat", "dog"], "classification"), (["yes", "no"], "classification")],
)  # fmt: skip
def test_the_task_is_guessed_from_the_target(cells: list[str], task: str) -> None:
    assert guess_task(cells) == task


def test_integer_labels_are_classes_and_a_task_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,y\n1,0\n2,2\n3,1\n")
    data = load_table(path)
    assert data.task == "classification" and data.y is not None and data.y.dtype == np.int64
    forced = load_table(path, task="regression")
    assert forced.task == "regression" and forced.y is not None and forced.y.dtype == np.float64


# --- problems, all at once ------------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "a,b,c\n1,2,3\n4,5\n6\n7,8,9\n")
    with pytest.raises(DataError) as info:
        load_table(path)
    assert str(info.value) == (f"{path}: 2 problems: row 3 has 2 columns, expected 3; "
                               "row 4 has 1 columns, expected 3")  # fmt: skip
    good = write(tmp_path, "good.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(DataError) as info:
        load_table(good, ["z"], features=["q"], ignore=["r"])
    message = str(info.value)
    assert message.startswith(f"{good}: 3 problems: target 'z': no such column (the columns are")
    assert "feature 'q': no such column" in message and "ignored column 'r'" in message


@pytest.mark.parametrize(
    ("text", "target", "task", "message"),
    [
        ("a,b\n1,x\n2,3\n", None, "regression", "column 2 ('b') holds 1 cell(s) that are not "
         "numbers ('x'): a regression target must be numbers (--task classify reads it as class "
         "labels)"),
        ("a,b,c\n1,2,3\n", ["b", "c"], "classification", "classification takes one label column"),
        ("a,b\n1,\n2,NA\n", None, None, "every row's target is missing"),
        ("a,b\n1,2\n1,3\n", None, None, "no input column is left to learn from"),
        ("a,b\n", None, None, "holds a header but no data rows"),
        ("\n\n", None, None, "holds no rows"),
        ('a,b\n"1,2\n', None, None, "row 2: unexpected end of data"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_used_says_why(
    tmp_path: Path, text: str, target: list[str] | None, task: str | None, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as info:
        load_table(path, target, task=task)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_missing_directory_empty_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing\.csv: no such file$"):
        load_table(tmp_path / "missing.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError, match=r"folder\.csv: is a directory, not a file$"):
        load_table(folder)
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty$"):
        load_table(write(tmp_path, "empty.csv", ""))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"a,b\n1,2\n3,\xe9\n")
    with pytest.raises(DataError, match=r"latin\.csv: row 3: not UTF-8 text"):
        load_table(latin)


# --- the library's one call -----------------------------------------------------------------------


def test_read_table_returns_the_rows_and_an_encoding_fitted_on_them(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "island,mass,sex,y\nA,1,m,0\nB,,f,1\nA,3,NA,0\nB,4,f,1\n")
    data, encoding = read_table(path, "y")
    x = encoding.transform(data.x)
    assert encoding.feature_names == ("island=A", "island=B", "mass", "mass (missing)",
                                      "sex=f", "sex=m", "sex=(missing)")  # fmt: skip
    assert x.tolist() == [[1, 0, 1, 0, 0, 1, 0], [0, 1, 3, 1, 1, 0, 0],
                          [1, 0, 3, 0, 0, 0, 1], [0, 1, 4, 0, 1, 0, 0]]  # fmt: skip


# --- a model's columns, matched by name -----------------------------------------------------------


def test_columns_are_matched_by_name_extra_ones_ignored_missing_ones_named(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", "id,b,extra,a\n7,2,x,1\n8,4,y,3\n")
    data, kept = load_for_model(path, ["a", "b"], encoded=False, keep=["id"])
    assert np.array_equal(data.x, [[1.0, 2.0], [3.0, 4.0]])
    assert data.notes == ("1 column(s) the model does not use are ignored: 'extra'",)
    assert kept is not None and kept[0] == ("id",) and kept[1].tolist() == [["7"], ["8"]]
    with pytest.raises(DataError, match=r"missing the model's input column\(s\) 'c', 'd' \(the "
                                        r"columns are 'id', 'b', 'extra', 'a'\)"):  # fmt: skip
        load_for_model(path, ["a", "c", "d"], encoded=False)
    with pytest.raises(DataError, match="row 2, column 'extra': 'x' is not a number"):
        load_for_model(path, ["extra"], encoded=False)


def test_a_file_without_header_is_taken_by_position(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "1,2,30\n3,4,40\n")
    data, _ = load_for_model(path, ["a", "b"], ["t"], encoded=False)
    assert np.array_equal(data.x, [[1.0, 2.0], [3.0, 4.0]]) and np.array_equal(data.y, [[30], [40]])
    with pytest.raises(DataError, match="has 3 columns and no header naming them"):
        load_for_model(path, ["a"], encoded=False)
