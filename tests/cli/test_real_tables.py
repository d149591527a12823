"""Raw tables end to end: `twolayer train --data` with no other flag on a file of text,
missing cells, dates and an identifier; predict and evaluate matching columns by name; the
held-out rows written out and scored again (issue 20's cases, each a test)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error, printed_lines, run_cli
from twolayer.outputs.modelfile_reader import load_model


def raw_table(rows: int = 160, seed: int = 0) -> str:
    """A table as real files come: an identifier, a category with missing cells, a yes/no
    column, a date, numbers with 'NA' and a stray '-', and a text target that depends on
    them; also a numeric target ``price``."""
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "city", "garden", "built", "rooms", "area", "price", "kind"])
    cities = ["Lyon", "Nantes", "Paris"]
    for i in range(rows):
        city = cities[i % 3]
        garden = "yes" if rng.random() < 0.5 else "no"
        rooms = int(rng.integers(1, 7))
        area = 15 * rooms + rng.normal(0, 5)
        price = 2.0 * area + (40 if city == "Paris" else 0) + (10 if garden == "yes" else 0)
        kind = "house" if garden == "yes" and rooms > 2 else "flat"
        month = 1 + i % 12
        area_cell = "NA" if i % 17 == 3 else ("-" if i == 5 else f"{area:.1f}")
        writer.writerow([f"P{i:04d}", "" if i % 23 == 7 else city, garden,
                         f"20{10 + i % 10}-{month:02d}-15", rooms, area_cell,
                         f"{price:.2f}", kind])  # fmt: skip
    return out.getvalue()


def reorder(text: str, order: list[str], extra: bool = False) -> str:
    """The same rows with the columns in ``order`` (and an extra column when asked)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    names = [*order, "notes"] if extra else order
    writer = csv.DictWriter(out, names, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "notes": "n/a"} if extra else row)
    return out.getvalue()


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "homes.csv"
    path.write_text(raw_table())
    return path


def test_a_raw_table_trains_with_no_other_flag_and_says_how(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "kind",
                              "--test-fraction", "0.25", "--json", "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    lines = err.splitlines()
    assert "twolayer train: 'id' is ignored: every value is different (an identifier or a " \
           "name); choose it with --features to use it as a category" in lines  # fmt: skip
    assert "twolayer train: 'area': 1 cell(s) that are not numbers ('-') read as missing" in lines
    said = lines[-1]
    assert said.startswith("twolayer train: classification of 'kind' (2 classes) from 6 "
                           "column(s)")  # fmt: skip
    assert "adam at lr 0.001, batches of 200, uniform init, biases, loss cross_entropy" in said
    assert out.startswith("# iteration, training loss, validation loss: cross_entropy per sample")
    result = json.loads(out.splitlines()[-1])
    assert result["stop_reason"] in ("early_stopping", "completed")
    assert result["metrics"]["test"]["accuracy"] >= 0.9  # kind follows garden and rooms


def test_the_task_follows_the_target_and_task_overrides_the_guess(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "price",
                              "--iterations", "3", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and "regression of 'price'" in err and "loss mse" in err
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "rooms",
                              "--iterations", "3", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and "classification of 'rooms' (6 classes)" in err  # labels 1..6
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "rooms", "--task",
                              "regress", "--iterations", "3", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and "regression of 'rooms'" in err and "train: mse=" in out


def test_a_flag_changes_one_part_of_the_recipe_and_keeps_the_rest(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["train", "--data", "homes.csv", "--target", "price", "--optimizer",
                            "momentum", "--lr", "0.01", "--iterations", "3", "--quiet"],
                           capsys)  # fmt: skip
    assert (
        code == 0 and "momentum at lr 0.01, batches of 200, uniform init, biases, loss mse" in err
    )


def test_features_ignore_and_categorical_choose_the_inputs(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["train", "--data", "homes.csv", "--target", "price", "--features",
                            "city,rooms", "--categorical", "rooms", "--iterations", "2",
                            "--out", "m.npz", "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    model = load_model("m.npz")
    assert model.preprocessing.encoding is not None
    names = model.preprocessing.encoding.feature_names
    assert names == ("city=Lyon", "city=Nantes", "city=Paris", "city=(missing)",
                     *(f"rooms={k}" for k in range(1, 7)))  # fmt: skip
    code, _, err = run_cli(["train", "--data", "homes.csv", "--target", "price", "--ignore",
                            "built,area,garden,kind", "--iterations", "2", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and "from 2 column(s) (5 inputs)" in err  # city (4) and rooms


def test_every_problem_of_the_options_is_named_in_one_line(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "nope", "--features",
                              "size,city", "--ignore", "colour"], capsys)  # fmt: skip
    assert_one_error(
        code,
        out,
        err,
        "homes.csv: 3 problems: target 'nope': no such column",
        "feature 'size': no such column",
        "ignored column 'colour': no such column",
    )


def test_predict_takes_the_columns_in_any_order_and_gives_identical_output(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "kind", "--iterations", "20",
                    "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    code, straight, err = run_cli(["predict", "--model", "m.npz", "--data", "homes.csv",
                                   "--proba"], capsys)  # fmt: skip
    assert code == 0, err
    order = ["kind", "area", "rooms", "built", "price", "garden", "city", "id"]
    Path("shuffled.csv").write_text(reorder(table.read_text(), order, extra=True))
    code, shuffled, err = run_cli(["predict", "--model", "m.npz", "--data", "shuffled.csv",
                                   "--proba"], capsys)  # fmt: skip
    assert code == 0 and shuffled == straight
    assert "3 column(s) the model does not use are ignored: 'kind', 'id', 'notes'" in err
    assert straight.splitlines()[0] == "label,p_flat,p_house"  # probabilities named by class


def test_a_missing_input_column_is_one_line_naming_it(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "price", "--iterations", "2",
                    "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    Path("less.csv").write_text(reorder(table.read_text(), ["id", "city", "rooms", "area"]))
    code, out, err = run_cli(["predict", "--model", "m.npz", "--data", "less.csv"], capsys)
    assert_one_error(code, out, err, "less.csv: missing the model's input column(s) 'garden', "
                     "'built'")  # fmt: skip


def test_unseen_categories_and_missing_cells_are_encoded_as_in_training_with_notes(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "price", "--iterations", "2",
                    "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    Path("new.csv").write_text(
        "kind,city,garden,built,rooms,area\n"
        "flat,Brest,yes,2015-03-15,3,NA\nflat,Lyon,no,2012-01-15,2,31\n"
    )
    code, out, err = run_cli(["predict", "--model", "m.npz", "--data", "new.csv"], capsys)
    assert code == 0 and len(out.splitlines()) == 3
    assert "missing or unreadable cells, filled in as in training: 'area' 1" in err
    assert (
        "categories not seen in training, encoded as (other) or as none of the known ones: 'city' 1"
        in err
    )


def test_keep_copies_id_columns_beside_the_predictions(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "price", "--iterations", "2",
                    "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    code, out, err = run_cli(["predict", "--model", "m.npz", "--data", "homes.csv", "--keep",
                              "id,city"], capsys)  # fmt: skip
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "city", "price"]
    assert [r[0] for r in rows[1:4]] == ["P0000", "P0001", "P0002"] and rows[8][1] == ""
    code, out, err = run_cli(["predict", "--model", "m.npz", "--data", "homes.csv", "--keep",
                              "owner"], capsys)  # fmt: skip
    assert_one_error(code, out, err, "--keep 'owner': no such column")


def test_the_held_out_rows_are_written_and_scored_again(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["train", "--data", "homes.csv", "--target", "price",
                              "--test-fraction", "0.25", "--iterations", "30", "--save-split",
                              "split", "--out", "m.npz", "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    test_line = next(line for line in out.splitlines() if line.startswith("test: "))
    original = table.read_text().splitlines()
    train_rows = Path("split/train.csv").read_text().splitlines()
    test_rows = Path("split/test.csv").read_text().splitlines()
    assert train_rows[0] == test_rows[0] == original[0]  # the original columns
    assert (len(train_rows) - 1, len(test_rows) - 1) == (120, 40)
    assert sorted(train_rows[1:] + test_rows[1:]) == sorted(original[1:])  # the cells as they were
    code, again, _ = run_cli(["evaluate", "--model", "m.npz", "--split", "test"], capsys)
    assert code == 0 and again.strip().split(": ", 1)[1] == test_line.split(": ", 1)[1]
    code, again, _ = run_cli(["evaluate", "--model", "m.npz", "--data", "split/test.csv"], capsys)
    assert code == 0 and again.strip().split(": ", 1)[1] == test_line.split(": ", 1)[1]


def test_split_refuses_a_changed_file_and_a_run_without_test_rows(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "price", "--iterations", "2",
                    "--out", "whole.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    code, out, err = run_cli(["evaluate", "--model", "whole.npz", "--split", "test"], capsys)
    assert_one_error(code, out, err, "was trained without --test-fraction")
    assert run_cli(["train", "--data", "homes.csv", "--target", "price", "--iterations", "2",
                    "--test-fraction", "0.2", "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    table.write_text(raw_table(seed=1))
    code, out, err = run_cli(["evaluate", "--model", "m.npz", "--split", "test"], capsys)
    assert_one_error(code, out, err, "changed")


def test_the_printed_losses_compare_training_and_validation_per_sample(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["train", "--data", "homes.csv", "--target", "price", "--loss", "sse",
                            "--iterations", "5"], capsys)  # fmt: skip
    assert code == 0
    assert out.splitlines()[0] == (
        "# iteration, training loss, validation loss: sse per sample (the sum over a set divided by "
        "its rows)"
    )
    first = printed_lines(out)[0].split()
    assert 0.1 < float(first[1]) / float(first[2]) < 10  # both per row, not a sum of 144 vs 16


def test_the_bundled_raw_table_exports_as_published_and_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["datasets", "export", "penguins", "p.csv"], capsys)
    assert code == 0 and "train with: twolayer train --data p.csv --target Species" in out
    text = Path("p.csv").read_text()
    assert text.startswith("studyName,Sample Number,Species,Region,Island,Stage,Individual ID,")
    assert ",NA," in text and "2007-11-11" in text
    code, out, err = run_cli(["train", "--dataset", "penguins", "--iterations", "3", "--quiet"],
                             capsys)  # fmt: skip
    assert code == 0 and "classification of 'Species' (3 classes) from 14 column(s)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "--data", "homes.csv", "--target", ""],
            "argument --target: the column list is empty",
        ),
        (
            ["train", "--data", "homes.csv", "--target", "price,,kind"],
            "an empty column name in 'price,,kind'",
        ),
        (
            ["train", "--data", "homes.csv", "--features", " "],
            "argument --features: the column list is empty",
        ),
        (
            ["train", "--data", "homes.csv", "--na-values", ""],
            "argument --na-values: must not be empty",
        ),
        (
            ["train", "--data", "homes.csv", "--out", "m.npz/"],
            "argument --out: 'm.npz/' ends in '/', which names a directory",
        ),
        (
            ["predict", "--model", "m.npz", "--data", "homes.csv", "--keep", ""],
            "argument --keep: the column list is empty",
        ),
        (
            ["evaluate", "--model", "m.npz", "--data", "homes.csv", "--target", "a,"],
            "an empty column name in 'a,'",
        ),
    ],
)
def test_empty_or_odd_values_are_refused_not_taken_as_not_given(
    table: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(args, capsys)
    assert_one_error(code, out, err, message)
    assert sorted(p.name for p in table.parent.iterdir()) == ["homes.csv"]  # nothing written


def test_evaluate_counts_labels_the_model_never_saw_as_wrong_and_says_so(
    table: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["train", "--data", "homes.csv", "--target", "kind", "--iterations", "5",
                    "--out", "m.npz", "--quiet"], capsys)[0] == 0  # fmt: skip
    text = table.read_text().replace(",flat\n", ",castle\n", 3)
    Path("new.csv").write_text(text)
    code, out, err = run_cli(["evaluate", "--model", "m.npz", "--data", "new.csv"], capsys)
    assert code == 0
    assert "3 row(s) have labels the model never saw ('castle'); they count as wrong" in err
    accuracy = float(out.split("accuracy=")[1])
    assert accuracy <= 1 - 3 / 160
