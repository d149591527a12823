"""What the command line says (issue 11, the first hour): options count as given when typed,
even at their default; configuration errors name the flags; usage errors are two lines; runs
say why they stopped early; values that start with a minus sign; spreadsheet-safe labels;
exact large integer labels; headers with words like ``nan``; pandas-style labels saved."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from helpers import printed_lines, run_cli
from twolayer.cli.main import given_options
from twolayer.cli.predict import spreadsheet_safe

FAST = ["--optimizer", "adam", "--lr", "1e-2", "--bias", "--init", "he", "--loss", "half_mse"]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def regression_csv(path: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    y = x @ [1.0, -2.0, 0.5]
    return write(path, ["a", "b", "c", "y"], [[*r, t] for r, t in zip(x.tolist(), y, strict=True)])


def test_an_option_at_its_default_still_counts_as_given(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    regression_csv(in_tmp / "d.csv")
    code, _, err = run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "5", "--quiet",
                            "--out", "c.npz"], capsys)  # fmt: skip
    assert code == 0, err
    # 500 is --iterations' default: it used to be dropped silently
    code, out, err = run_cli(
        ["train", "--resume", "c.npz", "--iterations", "500", "--quiet"], capsys
    )
    assert code == 0, err
    assert printed_lines(out)[0].startswith("499 ")
    # fewer (or as many) iterations than done: refused, in words
    for total in ("500", "3"):
        code, _, err = run_cli(["train", "--resume", "c.npz", "--iterations", total], capsys)
        assert code == 2 and "has done 500 iterations already; ask for more" in err
    code, _, err = run_cli(["train", "--resume", "c.npz"], capsys)
    assert code == 2 and "has run all its 500 iterations; pass --iterations" in err
    # --lr given at its default value is a change the resumed run would ignore: refused
    code, _, err = run_cli(
        ["train", "--resume", "c.npz", "--lr", "1e-6", "--iterations", "600"], capsys
    )
    assert code == 2 and "leave out --lr" in err


def test_given_options_sees_typed_flags_only() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--lr", type=float, default=1e-6)
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=print)
    assert given_options(parser, ["--iterations", "500"]) == {"iterations"}
    assert given_options(parser, ["--quiet", "--lr=1e-6"]) == {"quiet", "lr"}
    assert given_options(parser, []) == set()
    assert parser.parse_args([]).iterations == 500  # the defaults come back


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--batch-size", "4", "--optimizer", "lbfgs"],
            "lbfgs works on the full batch; leave --batch-size unset",
        ),
        (["--validation-fraction", "1"], "--validation-fraction: must be in [0, 1), got 1"),
        (["--plateau-factor", "2"], "--plateau-factor: must be in (0, 1), got 2"),
        (
            ["--tol-mode", "x"],
            "unknown --tol-mode 'x'; valid --tol-mode values are: absolute, relative",
        ),
        (["--lr-min", "1"], "--lr-min must be between 0 and lr"),
    ],
)
def test_configuration_errors_name_the_flags(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["train", *args], capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("usage: twolayer train [options]")
    assert words in lines[1] and "Traceback" not in err


def test_usage_errors_are_two_lines(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["train", "--bogus-option"], ["train", "--lr", "fast"], ["predict"], ["nosuch"]):
        code, _, err = run_cli(args, capsys)
        assert code == 2 and len(err.splitlines()) == 2, err
        assert "(see twolayer" in err.splitlines()[0] and ": error: " in err.splitlines()[1]


def test_runs_say_why_they_stopped_and_what_they_train_real_data_with(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    regression_csv(in_tmp / "d.csv", 80)
    code, _, err = run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "3000", "--early-stopping",
                            "--validation-fraction", "0.25", "--patience", "3", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and "twolayer train: early stopping after iteration" in err
    assert "no progress for 3 iterations; kept the weights of iteration" in err
    code, _, err = run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "3000",
                            "--n-iter-no-change", "4", "--quiet"], capsys)  # fmt: skip
    assert "converged after iteration" in err and "for 4 iterations" in err
    code, out, err = run_cli(["train", "--data", "d.csv", "--iterations", "2", "--quiet"], capsys)
    assert err == (  # the recipe real data need, in one line, where nothing else is asked
        "twolayer train: regression of 'y' from 3 column(s) (3 inputs), 80 rows; 100 relu units, "
        "adam at lr 0.001, batches of 200, uniform init, biases, loss mse, up to 2 epochs with early "
        "stopping on 10% held out (patience 20) (docs/data.md: every part has its flag)\n"
    )
    assert out.startswith("# iteration, training loss, validation loss: mse per sample\n")
    code, out, err = run_cli(["train", "--iterations", "2", "--quiet"], capsys)  # the seed's data
    assert err == "" and out.startswith("1 ")  # the seed's bare lines


def test_targets_counted_from_the_end(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    regression_csv(in_tmp / "d.csv")
    from twolayer.outputs.modelfile_reader import load_model

    for target, names in (
        (["--target", "-2,-1"], ("c", "y")),
        (["--target", "-1"], ("y",)),
        (["--target=-2,-1"], ("c", "y")),
        (["--target", "-3", "--target", "-1"], ("b", "y")),
    ):
        code, _, err = run_cli(["train", "--data", "d.csv", *target, *FAST, "--iterations", "2",
                                "--quiet", "--out", "t.npz"], capsys)  # fmt: skip
        assert code == 0, err
        assert load_model("t.npz").target_names == names


def test_labels_are_safe_in_spreadsheets_and_exact(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spreadsheet_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [spreadsheet_safe(t) for t in ("+1+2", "@SUM(A1)", "-x", "\tcmd", "-1.5", "cat", "")] == [
        "'+1+2", "'@SUM(A1)", "'-x", "'\tcmd", "-1.5", "cat", ""
    ]  # fmt: skip
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 2))
    big = [2**53 + 1, 2**53 + 2]  # equal as floats: they must stay two classes
    labels = [big[int(v > 0)] for v in x[:, 0]]
    write(
        in_tmp / "c.csv",
        ["a", "b", "kind"],
        [[*r, lab] for r, lab in zip(x.tolist(), labels, strict=True)],
    )
    code, _, err = run_cli(["train", "--data", "c.csv", "--loss", "cross_entropy", *FAST[:-2],
                            "--iterations", "50", "--quiet", "--out", "m.npz"], capsys)  # fmt: skip
    assert code == 0, err
    code, out, _ = run_cli(["predict", "--model", "m.npz", "--data", "c.csv"], capsys)
    assert (
        set(out.splitlines()[1:]) <= {str(b) for b in big} and len(set(out.splitlines()[1:])) == 2
    )
    names = ["=cmd()", "@x"]
    formula = [names[int(v > 0)] for v in x[:, 0]]
    write(
        in_tmp / "f.csv",
        ["a", "b", "kind"],
        [[*r, lab] for r, lab in zip(x.tolist(), formula, strict=True)],
    )
    run_cli(["train", "--data", "f.csv", "--loss", "cross_entropy", *FAST[:-2], "--iterations", "50",
             "--quiet", "--out", "f.npz"], capsys)  # fmt: skip
    code, out, _ = run_cli(["predict", "--model", "f.npz", "--data", "f.csv"], capsys)
    assert code == 0 and set(out.splitlines()[1:]) <= {"'=cmd()", "'@x"}


def test_a_header_of_words_like_nan_is_a_header(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    rows = rng.standard_normal((20, 3)).tolist()
    write(in_tmp / "h.csv", ["x", "nan", "inf"], rows)
    code, _, err = run_cli(["train", "--data", "h.csv", *FAST, "--iterations", "2", "--quiet",
                              "--out", "h.npz"], capsys)  # fmt: skip
    assert code == 0, err
    from twolayer.outputs.modelfile_reader import load_model

    assert load_model("h.npz").feature_names == ("x", "nan")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 5 epochs
def test_object_labels_as_pandas_gives_them_are_saved(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from twolayer.estimators import TwoLayerClassifier
    from twolayer.outputs.modelfile import save_model
    from twolayer.outputs.modelfile_reader import load_model

    rng = np.random.default_rng(3)
    x = rng.standard_normal((30, 2))
    y = np.array(["cat" if v > 0 else "dog" for v in x[:, 0]], dtype=object)
    clf = TwoLayerClassifier(hidden=4, iterations=5, random_state=0).fit(x, y)
    save_model(tmp_path / "m.npz", clf.model_)  # object labels: saved as text
    assert load_model(tmp_path / "m.npz").predict(x).tolist() == clf.predict(x).tolist()


def test_bundled_datasets_export_as_csv_that_trains(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    from twolayer.data.datasets import BUNDLED, load_dataset
    from twolayer.data.table import load_table

    for words in (["datasets"], ["datasets", "list"]):  # list is the default action
        code, out, _ = run_cli(words, capsys)
        assert code == 0
        assert out.splitlines()[:4] == [
            "name      task            samples  inputs  targets",
            "diabetes  regression          442      10  progression",
            "digits    classification     1797      64  digit (10 classes)",
            "linnerud  regression           20       3  Weight, Waist, Pulse",
        ]
    for listed in BUNDLED:  # what the listing says, known without loading, is the data's
        data = load_dataset(listed.name)
        shape = (data.n_samples, data.x.shape[1], data.task)
        assert shape == (listed.samples, listed.inputs, listed.task)
        assert data.target_names == listed.targets
        assert listed.classes == (len(np.unique(data.y)) if data.task == "classification" else 0)
    for name, target, task in (("diabetes", None, "regression"), ("linnerud", ["-3", "-2", "-1"], "regression"),
                               ("digits", None, "classification")):  # fmt: skip
        code, out, err = run_cli(["datasets", "export", name, f"{name}.csv"], capsys)
        assert code == 0, err
        assert "train with: twolayer train --data" in out
        back, bundled = load_table(f"{name}.csv", target, task=task), load_dataset(name)  # type: ignore[arg-type]
        kept = [bundled.feature_names.index(f) for f in back.feature_names]
        assert np.array_equal(back.x, bundled.x[:, kept])  # exactly, but for constant columns:
        assert len(back.notes) == len(bundled.feature_names) - len(kept)  # ignored, with a note
        assert all("holds one value" in note for note in back.notes)
        assert np.array_equal(back.targets(), bundled.targets())
    for args, words in ((["export", "nope", "x.csv"], "unknown dataset 'nope'"),
                        (["export", "digits"], "needs a NAME and a FILE"),
                        (["export", "digits", "x.npz"], "name it .csv")):  # fmt: skip
        code, _, err = run_cli(["datasets", *args], capsys)
        assert code == 2 and words in err and not Path("x.csv").exists()


def test_a_model_trained_on_csv_columns_evaluates_on_npy(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    regression_csv(in_tmp / "d.csv")
    code, _, err = run_cli(["train", "--data", "d.csv", "--target", "y", *FAST, "--iterations", "3",
                            "--quiet", "--out", "m.npz"], capsys)  # fmt: skip
    assert code == 0, err
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3))
    np.save("x.npy", x)
    np.save("y.npy", x @ [1.0, -2.0, 0.5])
    np.savez("xy.npz", x=x, y=x @ [1.0, -2.0, 0.5])
    for data in (["x.npy", "y.npy"], ["xy.npz"]):
        code, out, err = run_cli(["evaluate", "--model", "m.npz", "--data", *data], capsys)
        assert code == 0 and "r2=" in out, err
        code, out, err = run_cli(["predict", "--model", "m.npz", "--data", data[0]], capsys)
        assert code == 0 and len(out.splitlines()) == 41, err


def test_a_directory_as_data_is_named(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "folder").mkdir()
    code, _, err = run_cli(["train", "--data", "folder"], capsys)
    assert code == 2 and "folder: is a directory; --data takes files" in err


def test_library_shape_errors_name_the_argument() -> None:
    from twolayer.errors import DataError
    from twolayer.nn.gradcheck import check_gradients
    from twolayer.nn.model import backward, forward, init_params

    params = init_params(np.random.default_rng(0), 4, 5, 2)
    _, cache = forward(params, np.ones((3, 4)))
    for call, words in (
        (lambda: forward(params, np.ones((3, 5))), r"x must have shape \(N, 4\)"),
        (lambda: forward(params, np.ones(4)), r"x must have shape \(N, 4\).*got \(4,\)"),
        (lambda: backward(params, cache, np.ones((3, 3))), r"grad_y_pred must have shape \(3, 2\)"),
        (
            lambda: check_gradients(params, np.ones((3, 4)), np.ones((3, 1))),
            r"y must have shape \(3, 2\)",
        ),
    ):
        with pytest.raises(DataError, match=words):
            call()


def test_bad_estimator_random_state() -> None:
    pytest.importorskip("sklearn")
    from twolayer.estimators import TwoLayerRegressor

    with pytest.raises(ValueError, match="random_state must be None, an integer >= 0"):
        TwoLayerRegressor(random_state=-1).fit(np.ones((4, 2)), np.ones(4))


def test_data_too_large_for_floats_is_one_line_naming_the_file_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpers import assert_one_error

    monkeypatch.chdir(tmp_path)
    Path("big.csv").write_text("a,b,y\n1e308,2,3\n1e308,1,2\n-1e308,3,4\n")
    code, out, err = run_cli(["train", "--data", "big.csv", "--iterations", "2"], capsys)
    assert_one_error(code, out, err, "big.csv: column 1 ('a'): its values are too large to "
                     "standardise")  # fmt: skip
    Path("huge.csv").write_text("a,b,y\n1e300,2,3\n1e300,1,2\n-1e300,3,4\n5,5,5\n")
    code, out, err = run_cli(["train", "--data", "huge.csv", "--iterations", "2", "--task",
                              "regress", "--no-standardize"], capsys)  # fmt: skip
    assert code == 2  # the data's fault, not the rate's: bad input
    assert "error: the loss of the starting weights is inf" in err
    assert "RuntimeWarning" not in err and "overflow" not in err  # no NumPy noise beside it
