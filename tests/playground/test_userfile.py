"""The user's own file: ``--data`` and uploads read by the table reader, encoded into numbers,
checked against memory, and the downloaded model reading the file's raw rows."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from helpers import RAW_TABLE as RAW
from helpers import run_cli
from twolayer.data.table import CLASSES_AT_MOST
from twolayer.errors import ConfigError, DataError
from twolayer.io import memory
from twolayer.nn.model import forward
from twolayer.playground.exports import model_bytes
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings
from twolayer.playground.userfile import (
    MAX_UPLOAD,
    load_user_file,
    read_capped,
    read_upload,
    upload_name,
)

AGES = [34, 45, 23, 51, 38, 29, 62, 41, 36, 57, 44]  # every age present


def test_whole_numbers_are_classes_as_twolayer_train_guesses(tmp_path: Path) -> None:
    rows = "\n".join(f"{i / 10},{(i * 7 % 5) / 5},{i % 3},{i % (CLASSES_AT_MOST + 1)}"
                     for i in range(40))  # fmt: skip
    path = tmp_path / "points.csv"
    path.write_text("a,b,label,many\n" + rows + "\n")
    data = load_user_file([str(path)], ["label"])
    assert data.task == "classification" and data.x.shape == (40, 3)
    assert load_user_file([str(path)], ["label"], "regression").task == "regression"
    assert load_user_file([str(path)], ["b"]).task == "regression"  # fractions: values
    # one more whole number than guess_task takes for classes: values
    assert load_user_file([str(path)], ["many"]).task == "regression"
    with pytest.raises(ConfigError, match="unknown task 'classify'"):
        load_user_file([str(path)], ["label"], "classify")


def test_a_raw_table_is_encoded_on_all_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    path.write_text(RAW)
    data = load_user_file([str(path)])
    assert data.task == "classification" and list(data.y) == ["good", "bad"] * 6
    assert data.x.dtype == np.float64 and not np.isnan(data.x).any()
    assert data.encoding is not None and data.columns is None
    assert data.feature_names == data.encoding.feature_names
    assert data.feature_names[:2] == ("age", "age (missing)")
    assert {"colour=red", "colour=blue", "colour=green", "member"} <= set(data.feature_names)
    age = data.x[:, 0]
    assert age[1] == np.median(AGES)  # filled in from every row's
    assert any("'name'" in note for note in data.notes)  # an identifier, left out
    assert any("fitted on all 12 rows" in note for note in data.notes)


def test_a_clean_table_keeps_its_columns_as_inputs(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text("u,v,y\n" + "".join(f"{i / 7:.3f},{i % 5 / 3:.3f},{i / 3:.3f}\n"
                                        for i in range(30)))  # fmt: skip
    data = load_user_file([str(path)], ["y"])
    assert data.feature_names == ("u", "v") and data.task == "regression"
    assert data.notes == ()  # nothing encoded, nothing to say
    assert np.allclose(data.x[:, 0], np.arange(30) / 7, atol=1e-3)


def test_npz_targets_are_guessed_like_a_tables(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(30, 2))
    np.savez(tmp_path / "labels.npz", x=x, y=np.arange(30) % 3)
    np.savez(tmp_path / "values.npz", x=x, y=x[:, :1] * 0.5)
    labelled = load_user_file([str(tmp_path / "labels.npz")])
    assert labelled.task == "classification" and labelled.y.shape == (30,)
    assert labelled.encoding is None and labelled.feature_names == ("x1", "x2")
    assert load_user_file([str(tmp_path / "values.npz")]).task == "regression"


def test_memory_is_checked_before_the_file_is_read_and_before_it_is_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raw.csv"
    path.write_text(RAW)
    monkeypatch.setattr(memory, "available_bytes", lambda: 100)
    with pytest.raises(DataError, match="more than the 100 bytes that can be read"):
        load_user_file([str(path)])
    monkeypatch.setattr(memory, "available_bytes", lambda: 10_000)  # the file fits, training not
    with pytest.raises(ConfigError, match=r"rows=12, inputs=8, hidden=64, outputs=2: needs"):
        load_user_file([str(path)])


def test_the_command_prints_the_readers_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import twolayer.playground.server as server

    served = []
    monkeypatch.setattr(server, "serve", lambda *a, **k: served.append(k["file_data"]) or 0)
    path = tmp_path / "raw.csv"
    path.write_text(RAW)
    code, _, err = run_cli(["playground", "--no-browser", "--data", str(path)], capsys)
    assert code == 0 and served[0].feature_names[0] == "age"
    lines = err.splitlines()
    assert any(line.startswith("twolayer playground: ") and "'name'" in line for line in lines)
    assert any("fitted on all 12 rows" in line for line in lines)


def test_the_command_chooses_columns_as_twolayer_train_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import twolayer.playground.server as server

    served = []
    monkeypatch.setattr(server, "serve", lambda *a, **k: served.append(k["file_data"]) or 0)
    path = tmp_path / "raw.csv"
    path.write_text(RAW.replace("yes", "-").replace("no", "unknown"))
    args = ["playground", "--no-browser", "--data", str(path), "--target", "score",
            "--task", "regress", "--features", "name,age", "--ignore", "colour",
            "--na-values=-,unknown"]  # fmt: skip
    code, _, err = run_cli(args, capsys)
    data = served[0]
    assert code == 0 and data.task == "regression" and data.target_names == ("score",)
    assert data.encoding is not None and data.encoding.column_names == ("name", "age")
    assert "name=ann" in data.feature_names  # named, so kept: as a category
    code, _, err = run_cli([*args[:4], "--target", "age", "--task", "classify"], capsys)
    assert code == 0 and served[1].task == "classification"  # 11 ages: values, unless told
    code, _, err = run_cli(["playground", "--ignore", "a", "--na-values", "-"], capsys)
    assert code == 2 and "--ignore, --na-values choose columns of a --data file" in err


def test_a_bad_file_is_one_error_line_naming_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,y\n1,2,3\n4,5\n6,7,8\n9\n")
    code, out, err = run_cli(["playground", "--no-browser", "--data", str(path)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "row 3 has 2 columns" in err and "row 5 has 1 columns" in err


def test_the_downloaded_model_reads_the_files_raw_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "raw.csv"
    path.write_text(RAW)
    data = load_user_file([str(path)])
    session = Session(Settings(dataset="file", test_fraction=0.0), data)
    session.advance(20)
    (tmp_path / "model.npz").write_bytes(model_bytes(session))
    code, out, _ = run_cli(["predict", "--model", str(tmp_path / "model.npz"), "--data",
                            str(path)], capsys)  # fmt: skip
    outputs, _ = forward(session.state.params, session.data.inputs(data.x), "relu")
    expected = session.data.prep.classes[np.argmax(outputs, axis=1)]  # as the session sees it
    assert code == 0 and out.splitlines() == ["label", *expected]
    assert len(set(expected)) == 2  # trained a little, not a constant guess


def test_an_upload_is_read_by_the_same_reader_and_its_folder_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    read = read_upload(RAW.encode(), "C:\\Users\\me\\private\\raw.csv")
    assert read.error is None and read.data is not None and read.name == "raw.csv"
    assert read.columns == ("name", "age", "colour", "member", "score", "label")
    reply = read.reply()
    assert reply["target"] == 6 and reply["task"] == "classification" and reply["rows"] == 12
    assert reply["inputs"] == len(read.data.feature_names) and read.data.name == "raw.csv"
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone
    other = read_upload(RAW.encode(), "raw.csv", target=5, task="regression")
    assert other.data is not None and other.data.target_names == ("score",)
    assert other.reply()["target"] == 5 and other.data.n_samples == 11  # the row with no score


def test_a_bad_upload_names_every_problem_and_never_the_temporary_folder() -> None:
    read = read_upload(RAW.encode(), "raw.csv", target=3, task="regression")
    assert read.data is None and read.error is not None
    assert read.error.startswith("raw.csv: column 3 ('colour') holds 12 cell(s) that are not")
    assert "twolayer-upload-" not in read.error and len(read.columns) == 6  # still choosable
    ragged = read_upload(b"a,b,y\n1,2,3\n4,5\n6,7,8,9\n", "r.csv")
    assert ragged.error == ("r.csv: 2 problems: row 3 has 2 columns, expected 3; row 4 has 4 columns, "
                            "expected 3")  # fmt: skip
    assert read_upload(b"\xff\xfe", "bin.csv").error == "bin.csv: row 1: not UTF-8 text (byte 0)"
    with pytest.raises(DataError, match=r"larger than the 10\.0 MiB an upload may hold"):
        read_upload(b"0" * (MAX_UPLOAD + 1), "big.csv")


@pytest.mark.parametrize(
    ("given", "kept"),
    [("data.csv", "data.csv"), ("../../etc/t.tsv", "t.tsv"), ("a<b>.npz", "a_b_.npz"),
     ("x\\y\\z.TXT", "z.TXT")],
)  # fmt: skip
def test_an_uploads_name_loses_its_folder(given: str, kept: str) -> None:
    assert upload_name(given) == kept


@pytest.mark.parametrize("given", ["model.pkl", "", "..", ".csv", "notes"])
def test_an_upload_that_is_no_table_is_refused_by_name(given: str) -> None:
    with pytest.raises(ConfigError, match="upload a CSV file"):
        upload_name(given)


def test_reading_stops_as_soon_as_the_body_passes_the_cap() -> None:
    sent = []

    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b"0" * 1024

    assert asyncio.run(read_capped(pieces(), limit=10 * 1024)) is None
    assert len(sent) == 11  # the eleventh piece passed the cap: nothing more was read
    assert asyncio.run(read_capped(pieces(), limit=100 * 1024)) == b"0" * 100 * 1024
