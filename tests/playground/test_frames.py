"""Frames and downloads: what the page draws and what it saves, from twolayer's own functions."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from twolayer.nn.model import forward
from twolayer.outputs.modelfile_reader import load_model
from twolayer.playground.exports import history_csv, model_bytes
from twolayer.playground.frames import PLANE, data_message, frame, model_of, packed
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings


def unpack(p: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(p["data"]), dtype=np.float32).reshape(p["shape"])


def test_packed_arrays_are_float32_base64() -> None:
    a = np.arange(6.0).reshape(2, 3) / 7
    assert np.array_equal(unpack(packed(a)), a.astype(np.float32))


def test_a_frame_of_a_plane_holds_every_view() -> None:
    session = Session(Settings(dataset="circle", samples=80, hidden=6))
    records = session.advance(4, seconds=60)
    f = frame(session, records)
    json.dumps(f, allow_nan=False)  # plain JSON, no NaN
    assert f["iteration"] == 4 and [r[0] for r in f["records"]] == [0, 1, 2, 3]
    assert f["train_loss"] > 0 and f["test_loss"] > 0 and 0 <= f["train_score"] <= 1
    assert set(f["weights"]) == set(f["grads"]) == set(f["grad_norms"]) == {"w1", "w2", "b1", "b2"}
    assert np.allclose(unpack(f["weights"]["w1"]), session.state.params.w1)
    assert unpack(f["plane"]["output"]).shape == (PLANE, PLANE, 2)
    assert np.allclose(unpack(f["plane"]["output"]).sum(axis=-1), 1, atol=1e-5)  # probabilities
    assert unpack(f["plane"]["units"]).shape == (6, PLANE // 2, PLANE // 2)


def test_the_plane_is_twolayers_forward_over_the_grid() -> None:
    session = Session(Settings(dataset="bumps", samples=50, hidden=4))
    session.advance(3, seconds=60)
    f, data = frame(session, []), data_message(session)
    (left, _), (_, top) = data["extent"]
    corner = np.array([[left, top]])  # the top-left cell
    expected = forward(session.state.params, corner, session.config.activation)[0]
    assert unpack(f["plane"]["output"])[0, 0, 0] == pytest.approx(float(expected[0, 0]), rel=1e-5)


def test_dead_units_are_those_zero_for_every_training_point() -> None:
    session = Session(Settings(dataset="xor", samples=40, hidden=3))
    session.state.params.b1[:] = [-100.0, 0.0, 0.0]  # unit 1 never fires
    assert frame(session, [])["dead"] == [0]


def test_data_message_and_line_views() -> None:
    session = Session(Settings(dataset="sine", samples=40, hidden=3, test_fraction=0))
    d = data_message(session)
    assert (d["task"], d["n_inputs"], d["metric"], d["n_test"], d["test"]) == (
        "regression",
        1,
        "R²",
        0,
        None,
    )
    assert d["editable"] and d["settings"]["dataset"] == "sine"
    f = frame(session, [])
    assert f["test_loss"] is None and "plane" not in f
    assert unpack(f["line"]["units"]).shape[0] == 3


def test_data_of_many_inputs_get_no_plane() -> None:
    session = Session(Settings(dataset="digits", hidden=4))
    d, f = data_message(session), frame(session, session.advance(1, seconds=60))
    assert d["n_inputs"] == 64 and d["extent"] is None and not d["editable"]
    assert "plane" not in f and "line" not in f
    assert unpack(f["activations"]).shape == (48, 4)


def test_the_downloaded_model_predicts_as_the_session_does(tmp_path: Path) -> None:
    session = Session(Settings(dataset="spiral", samples=90, hidden=6))
    session.advance(30, seconds=60)
    path = tmp_path / "m.npz"
    path.write_bytes(model_bytes(session))
    model = load_model(path)
    x = session.data.train.x
    assert np.array_equal(model.predict(x), model_of(session).predict(x))
    assert model.source is not None and model.source["kind"] == "playground"
    assert model.summary["iterations"] == 30


def test_twolayer_predict_reads_the_downloaded_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = Session(Settings(dataset="xor", samples=60, hidden=4))
    session.advance(20, seconds=60)
    (tmp_path / "m.npz").write_bytes(model_bytes(session))
    (tmp_path / "x.csv").write_text("x1,x2\n0.5,0.5\n-0.5,0.5\n")
    code, out, err = run_cli(
        ["predict", "--model", str(tmp_path / "m.npz"), "--data", str(tmp_path / "x.csv")], capsys
    )
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["label"] and len(rows) == 3


def test_history_csv_names_the_test_loss() -> None:
    session = Session(Settings(dataset="circle", samples=40, hidden=3))
    session.advance(5, seconds=60)
    rows = list(csv.DictReader(io.StringIO(b"".join(history_csv(session)).decode())))
    assert [int(r["iteration"]) for r in rows] == [0, 1, 2, 3, 4]
    assert "test_loss" in rows[0] and "val_loss" not in rows[0]
    elapsed = [float(r["elapsed"]) for r in rows]
    assert elapsed == sorted(elapsed)


def test_the_history_and_the_model_summary_hold_the_test_scores(tmp_path: Path) -> None:
    from twolayer.outputs.modelfile_reader import load_model_file

    session = Session(Settings(dataset="xor", samples=60, hidden=4))
    records = session.advance(6, seconds=60)
    rows = list(csv.DictReader(io.StringIO(b"".join(history_csv(session)).decode())))
    assert {"score", "test_score", "test_loss"} <= set(rows[0])
    assert all(0 <= float(r["test_score"]) <= 1 for r in rows)
    assert [float(r["test_loss"]) for r in rows] == [r.val_loss for r in records]
    (tmp_path / "m.npz").write_bytes(model_bytes(session))
    summary = load_model_file(tmp_path / "m.npz").model.summary
    assert summary["final_val_loss"] == records[-1].val_loss
    assert summary["best_val_loss"] == min(r.val_loss for r in records)
