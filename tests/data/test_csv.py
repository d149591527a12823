"""CSV tables: headers, target columns, numbers and labels, and every bad cell's message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import write
from twolayer.data.csv import load_csv
from twolayer.errors import DataError

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
