"""``twolayer train`` with scikit-learn's options: a sample-weight column, multilabel targets,
per-epoch scores, the convergence test and L-BFGS's evaluation limit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from twolayer.outputs.modelfile_reader import load_model

FAST = ["--optimizer", "adam", "--lr", "1e-2", "--bias", "--init", "he", "--loss", "half_mse"]


def write(path: Path, header: list[str], rows: np.ndarray) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[repr(float(v)) for v in row] for row in rows])
    return path


def regression(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 1.0


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def final(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_a_weight_column_trains_as_repeated_rows(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x, y = regression()
    counts = np.random.default_rng(1).integers(1, 4, len(y))
    write(in_tmp / "w.csv", ["a", "b", "c", "w", "y"], np.column_stack([x, counts, y]))
    write(in_tmp / "r.csv", ["a", "b", "c", "y"], np.repeat(np.column_stack([x, y]), counts, 0))
    # full batch and no held-out rows: what repeats a row then equals what weighs it
    common = [*FAST, "--iterations", "30", "--json", "--quiet", "--batch-size", "1000",
              "--no-early-stopping"]  # fmt: skip
    code, out, _ = run_cli(
        ["train", "--data", "w.csv", "--sample-weight", "w", *common, "--out", "m.npz"], capsys
    )
    assert code == 0
    weighted = final(out)
    code, out, _ = run_cli(["train", "--data", "r.csv", *common], capsys)
    repeated = final(out)
    assert weighted["final_loss"] == pytest.approx(repeated["final_loss"], rel=1e-9)
    # the metrics are weighted too, so they are the repeated data's
    assert weighted["metrics"]["train"]["r2"] == pytest.approx(
        repeated["metrics"]["train"]["r2"], rel=1e-9
    )
    model = load_model("m.npz")
    assert model.feature_names == ("a", "b", "c") and model.target_names == ("y",)
    assert model.source["sample_weight"] == "w"


def test_bad_weight_options_are_one_line_errors(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x, y = regression()
    write(in_tmp / "w.csv", ["a", "b", "c", "w", "y"], np.column_stack([x, -np.ones(40), y]))
    np.save(in_tmp / "x.npy", x)
    np.save(in_tmp / "y.npy", y)
    for args, words in (
        (["--data", "w.csv", "--sample-weight", "w"], "sample_weight must be finite and >= 0"),
        (
            ["--data", "w.csv", "--sample-weight", "y"],
            "column 5 ('y') is a target and an input or the weights",
        ),
        (
            ["--data", "w.csv", "--sample-weight", "v"],
            "--sample-weight 'v': no such column (the columns are 'a', 'b', 'c', 'w', 'y')",
        ),
        (["--sample-weight", "w"], "--sample-weight names a column of a --data file"),
        (
            ["--data", "x.npy", "y.npy", "--sample-weight", "w"],
            "names a CSV column or an .npz array",
        ),
    ):
        code, _, err = run_cli(["train", *args, "--out", "never.npz"], capsys)
        assert code == 2 and words in err, err
        assert "Traceback" not in err and not (in_tmp / "never.npz").exists()


def test_multilabel_columns_train_and_predict(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((120, 3))
    labels = np.column_stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0]).astype(float)
    write(in_tmp / "m.csv", ["a", "b", "c", "l1", "l2"], np.column_stack([x, labels]))
    code, out, err = run_cli(["train", "--data", "m.csv", "--target", "l1,l2", *FAST[:-2],
                              "--loss", "binary_cross_entropy", "--iterations", "200", "--quiet",
                              "--json", "--out", "m.npz"], capsys)  # fmt: skip
    assert code == 0, err
    assert final(out)["metrics"]["train"]["accuracy"] > 0.9  # subset accuracy
    model = load_model("m.npz")
    assert model.task == "multilabel" and model.predict(x).shape == (120, 2)
    code, out, err = run_cli(
        ["predict", "--model", "m.npz", "--data", "m.csv"],
        capsys,  # l1, l2: not inputs
    )
    assert code == 0 and out.splitlines()[0] == "l1,l2"
    assert set(out.splitlines()[1:]) <= {"0,0", "0,1", "1,0", "1,1"}


def test_scores_convergence_and_max_fun(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = regression(80)
    write(in_tmp / "d.csv", ["a", "b", "c", "y"], np.column_stack([x, y]))
    code, out, _ = run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "20", "--scores",
                            "--validation-fraction", "0.25", "--history", "h.csv", "--quiet"], capsys)  # fmt: skip
    assert code == 0
    with open("h.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 and float(rows[-1]["score"]) > float(rows[0]["score"])
    assert rows[-1]["val_score"] != ""
    code, out, _ = run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "5000",
                            "--n-iter-no-change", "5", "--tol-mode", "absolute", "--tol", "1e-6",
                            "--json", "--quiet"], capsys)  # fmt: skip
    result = final(out)
    assert result["stop_reason"] == "converged" and result["iterations"] < 5000
    code, out, _ = run_cli(["train", "--data", "d.csv", "--optimizer", "lbfgs", "--lr", "1", "--bias",
                            "--loss", "half_mse", "--iterations", "500", "--max-fun", "15",
                            "--json", "--quiet"], capsys)  # fmt: skip
    assert final(out)["stop_reason"] == "max_fun"
    code, _, err = run_cli(["train", "--data", "d.csv", "--tol-mode", "both"], capsys)
    assert (
        code == 2
        and "unknown --tol-mode 'both'; valid --tol-mode values are: absolute, relative" in err
    )


def test_no_shuffle_walks_the_minibatches_in_order(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x, y = regression(80)
    write(in_tmp / "d.csv", ["a", "b", "c", "y"], np.column_stack([x, y]))
    args = [
        "train",
        "--data",
        "d.csv",
        *FAST,
        "--iterations",
        "5",
        "--batch-size",
        "16",
        "--json",
        "--quiet",
    ]
    _, shuffled, _ = run_cli(args, capsys)
    _, ordered, _ = run_cli([*args, "--no-shuffle"], capsys)
    _, again, _ = run_cli([*args, "--no-shuffle", "--seed", "0"], capsys)
    assert final(ordered)["final_loss"] != final(shuffled)["final_loss"]
    assert final(ordered)["final_loss"] == final(again)["final_loss"]


def test_lbfgs_says_why_it_stopped_early(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("scipy")
    args = ["train", "--n", "20", "--d-in", "30", "--hidden", "10", "--d-out", "2",
            "--optimizer", "lbfgs", "--lr", "1", "--iterations", "5000", "--quiet"]  # fmt: skip
    code, out, err = run_cli(args, capsys)
    assert code == 0
    last = int(out.split()[0])
    assert last < 4999  # SciPy stopped it: the loss reached rounding level
    assert err.strip() == (
        f"twolayer train: converged after iteration {last}: L-BFGS-B could not lower the "
        "training loss any further"
    )
