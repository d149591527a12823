"""The data commands end to end: train on files, predict, evaluate, plot, resume, Ctrl-C.

Bad input (issue 4, item 9) gets one test case each: exit code 2, one ``error:`` line naming the
file (and row and column where it applies), no traceback, no output file created or changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import error_lines, printed_lines, run_cli
from twolayer.cli import main
from twolayer.nn.metrics import regression_metrics
from twolayer.outputs.modelfile import FORMAT_VERSION
from twolayer.outputs.modelfile_reader import load_model, load_model_file

FAST = ["--optimizer", "adam", "--lr", "1e-2", "--bias", "--init", "he"]


def write_csv(path: Path, n: int = 60, seed: int = 0, labels: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)) * [1.0, 5.0, 0.2]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "c", "kind" if labels else "y"])
        for row in x:
            target = ("big" if row[0] + row[1] / 5 > 0 else "small") if labels else (
                2 * row[0] - row[1] + 10 * row[2] + 50)  # fmt: skip
            writer.writerow([*(repr(float(v)) for v in row), target])
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- train, predict, evaluate ------------------------------------------------------------------


def test_train_on_csv_then_predict_and_evaluate(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(in_tmp / "d.csv")
    args = ["train", "--data", "d.csv", *FAST, "--iterations", "60", "--test-fraction", "0.25"]
    code, out, err = run_cli([*args, "--out", "m.npz", "--json"], capsys)
    assert (code, error_lines(err)) == (0, "")
    assert err.startswith("twolayer train: regression of 'y' from 3 column(s) (3 inputs), 60 rows")
    assert out.startswith("# iteration, training loss: mse per sample\n")
    lines = printed_lines(out)
    assert [line.split()[0] for line in lines[:60]] == [str(i) for i in range(60)]
    assert lines[60].startswith("train: mse=") and lines[61].startswith("test: mse=")
    summary = json.loads(lines[62])
    assert len(lines) == 63
    assert summary["iterations"] == 60 and summary["stop_reason"] == "completed"
    assert summary["model"] == "m.npz" and set(summary["metrics"]) == {"train", "test"}
    assert summary["final_loss"] == float(lines[59].split()[1])
    assert summary["metrics"]["train"]["r2"] > 0.9

    model = load_model("m.npz")
    assert model.feature_names == ("a", "b", "c") and model.target_names == ("y",)
    assert model.summary["iterations"] == 60 and model.summary["stop_reason"] == "completed"
    data = np.loadtxt("d.csv", delimiter=",", skiprows=1)
    code, out, _ = run_cli(["predict", "--model", "m.npz", "--data", "d.csv"], capsys)
    assert code == 0 and out.splitlines()[0] == "y"
    predicted = np.array([float(v) for v in out.splitlines()[1:]])
    assert np.array_equal(predicted, model.predict(data[:, :3])[:, 0])  # written exactly

    code, out, _ = run_cli(["evaluate", "--model", "m.npz", "--data", "d.csv", "--json"], capsys)
    assert code == 0
    assert json.loads(out.splitlines()[1]) == {
        "samples": 60, "metrics": regression_metrics(data[:, 3:], model.predict(data[:, :3]))
    }  # fmt: skip
    assert out.splitlines()[0].startswith("d.csv: mse=")


def test_predict_accepts_inputs_without_targets_and_writes_a_file(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(in_tmp / "d.csv")
    assert run_cli(["train", "--data", "d.csv", *FAST, "--iterations", "5", "--out", "m.npz",
                    "--quiet"], capsys)[0] == 0  # fmt: skip
    rows = (in_tmp / "d.csv").read_text().splitlines()
    (in_tmp / "x.csv").write_text("".join(",".join(r.split(",")[:3]) + "\n" for r in rows))
    code, out, _ = run_cli(["predict", "--model", "m.npz", "--data", "x.csv", "--out", "p.csv"],
                           capsys)  # fmt: skip
    assert (code, out) == (0, "")
    full = run_cli(["predict", "--model", "m.npz", "--data", "d.csv"], capsys)[1]
    assert (in_tmp / "p.csv").read_text() == full


def test_classification_from_csv_labels(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(in_tmp / "d.csv", n=80, labels=True)
    code, out, _ = run_cli(["train", "--data", "d.csv", "--loss", "cross_entropy", *FAST,
                            "--iterations", "80", "--out", "m.npz", "--quiet"], capsys)  # fmt: skip
    assert code == 0 and printed_lines(out)[1].startswith("train: accuracy=")
    assert float(printed_lines(out)[1].split("=")[1]) > 0.9
    code, out, _ = run_cli(["predict", "--model", "m.npz", "--data", "d.csv", "--proba"], capsys)
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["label", "p_big", "p_small"]
    assert {row[0] for row in table[1:]} <= {"big", "small"}
    assert all(abs(float(row[1]) + float(row[2]) - 1) < 1e-12 for row in table[1:])


def test_npz_and_npy_data_and_several_targets(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 2))
    y = np.stack([x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]], axis=1)
    np.savez("d.npz", x=x, y=y)
    np.save("x.npy", x)
    np.save("y.npy", y)
    for data in (["d.npz"], ["x.npy", "y.npy"]):
        code, _, _ = run_cli(["train", "--data", *data, *FAST, "--iterations", "3", "--out",
                              "m.npz", "--quiet"], capsys)  # fmt: skip
        assert code == 0 and load_model("m.npz").params.sizes == (2, 100, 2)
    assert run_cli(["evaluate", "--model", "m.npz", "--data", "d.npz"], capsys)[0] == 0


def test_bundled_dataset_with_validation_and_test_sets(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn", reason="the bundled datasets come with scikit-learn")
    code, out, _ = run_cli(["train", "--dataset", "linnerud", *FAST, "--iterations", "4",
                            "--validation-fraction", "0.25", "--test-fraction", "0.2", "--json"],
                           capsys)  # fmt: skip
    assert code == 0
    lines = printed_lines(out)
    assert all(len(line.split()) == 3 for line in lines[:4])  # iteration loss val_loss
    assert [line.split(":")[0] for line in lines[4:7]] == ["train", "validation", "test"]
    assert set(json.loads(lines[7])["metrics"]["test"]) == {"mse", "rmse", "r2"}


def test_random_dataset_output_stays_the_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["train", "--iterations", "3", "--test-fraction", "0.25"], capsys)
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["0", "1", "2"]


# --- history, plots, progress ------------------------------------------------------------------


def test_history_and_plot_files(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="plots are drawn with matplotlib")
    write_csv(in_tmp / "d.csv")
    args = ["train", "--data", "d.csv", *FAST, "--iterations", "7", "--validation-fraction",
            "0.2", "--out", "m.npz", "--plot", "loss.png", "--quiet"]  # fmt: skip
    assert run_cli([*args, "--history", "h.csv"], capsys)[0] == 0
    assert run_cli([*args, "--history", "h.jsonl"], capsys)[0] == 0
    csv_rows = list(csv.DictReader(io.StringIO(Path("h.csv").read_text())))
    json_rows = [json.loads(line) for line in Path("h.jsonl").read_text().splitlines()]
    assert [int(r["iteration"]) for r in csv_rows] == list(range(7))
    assert [float(r["loss"]) for r in csv_rows] == [r["loss"] for r in json_rows]
    assert all(r["val_loss"] is not None for r in json_rows)
    assert Path("loss.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = run_cli(["plot", "h.csv"], capsys)
    assert (code, out) == (0, "wrote h.png\n") and Path("h.png").stat().st_size > 1000
    code, out, _ = run_cli(["plot", "m.npz", "--out", "m.svg"], capsys)
    assert code == 0 and Path("m.svg").read_bytes().startswith(b"<?xml")


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["train", "--iterations", "5"], capsys)
    assert (code, err) == (0, "")


def test_progress_bar_on_a_terminal_never_reaches_piped_stdout(in_tmp: Path) -> None:
    pytest.importorskip("tqdm", reason="the progress bar is drawn by tqdm")
    termios = pytest.importorskip("termios", reason="a pseudo-terminal needs POSIX")
    import fcntl
    import pty
    import select
    import struct

    write_csv(in_tmp / "d.csv", n=400)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    # 48,000 single-sample steps (~20 us each at the least, on the buffered engine): past the
    # bar's half-second delay on any machine.
    args = ["train", "--data", "d.csv", *FAST, "--batch-size", "1", "--iterations", "120",
            "--no-early-stopping"]  # fmt: skip
    child = subprocess.Popen([sys.executable, "-m", "twolayer", *args], stdout=subprocess.PIPE,
                             stderr=slave, stdin=subprocess.DEVNULL)  # fmt: skip
    os.close(slave)
    terminal = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                terminal += os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
        elif child.poll() is not None:
            break
    os.close(master)
    assert child.stdout is not None
    out = child.stdout.read().decode()
    child.stdout.close()
    assert child.wait() == 0
    lines = printed_lines(out)
    assert [line.split()[0] for line in lines[:120]] == [str(i) for i in range(120)]
    assert lines[120].startswith("train: mse=") and "it/s" not in out
    assert b"/120 [" in terminal and b"loss=" in terminal  # tqdm's bar, on the terminal only


# --- bad input: one error line, exit 2, nothing written ---------------------------------------


def _model(path: Path) -> None:
    write_csv(path.parent / "train.csv")
    assert main(["train", "--data", str(path.parent / "train.csv"), *FAST, "--iterations", "2",
                 "--out", str(path), "--quiet"]) == 0  # fmt: skip


def _newer(path: Path) -> None:
    _model(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["metadata"]))
    meta["format_version"] = FORMAT_VERSION + 1
    np.savez(path, **{**arrays, "metadata": np.asarray(json.dumps(meta))})


def _cut(path: Path) -> None:
    _model(path)
    path.write_bytes(path.read_bytes()[:3000])


def _flip(path: Path) -> None:
    _model(path)
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"w1.npy") + 300] ^= 0x10
    path.write_bytes(bytes(raw))


BAD_INPUT: list[tuple[str, dict[str, Any], list[str], str]] = [
    ("missing file", {}, ["train", "--data", "nope.csv"], "nope.csv: no such file"),
    ("a directory", {"dir.npz": None}, ["predict", "--model", "dir.npz", "--data", "x.csv"],
     "dir.npz: is a directory, not a file"),
    ("empty file", {"d.csv": ""}, ["train", "--data", "d.csv"], "d.csv: the file is empty"),
    ("non-numeric target", {"d.csv": "a,b\n1,2\n3,x\n"}, ["train", "--data", "d.csv", "--task",
     "regress"], "d.csv: column 2 ('b') holds 1 cell(s) that are not numbers ('x'): a regression "
     "target must be numbers"),
    ("every input missing", {"d.csv": "a,b\nnan,2\nNA,3\n"}, ["train", "--data", "d.csv"],
     "d.csv: no input column is left to learn from"),
    ("infinite target", {"d.csv": "1,2\n3,-inf\n"}, ["train", "--data", "d.csv", "--task",
     "regress"], "d.csv: column 2 holds 1 cell(s) that are not numbers ('-inf')"),
    ("ragged rows", {"d.csv": "1,2,3\n4,5\n"}, ["train", "--data", "d.csv"],
     "d.csv: row 2 has 2 columns, expected 3"),
    ("row counts differ", {"x.npy": np.zeros((3, 2)), "y.npy": np.zeros(4)},
     ["train", "--data", "x.npy", "y.npy"], "x.npy has 3 rows but y.npy has 4"),
    ("unknown target", {"d.csv": "a,b\n1,2\n"}, ["train", "--data", "d.csv", "--target", "z"],
     "d.csv: target 'z': no such column (the columns are 'a', 'b')"),
    ("object arrays", {"d.npz": "object"}, ["train", "--data", "d.npz"],
     "d.npz: array 'x': holds Python objects (a pickle); refusing to load it"),
    ("wrong feature count", {"m.npz": _model, "p.csv": "1,2\n"},
     ["predict", "--model", "m.npz", "--data", "p.csv"],
     "p.csv: has 2 columns and no header naming them; the model expects 3 input column(s)"),
    ("truncated model", {"m.npz": _cut}, ["predict", "--model", "m.npz", "--data", "x.csv"],
     "m.npz: not a valid .npz archive"),
    ("corrupted model", {"m.npz": _flip}, ["evaluate", "--model", "m.npz", "--data", "x.csv"],
     "m.npz: not a valid .npz archive (Bad CRC-32"),
    ("newer model format", {"m.npz": _newer}, ["predict", "--model", "m.npz", "--data", "x.csv"],
     f"m.npz: written in model format version {FORMAT_VERSION + 1}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "args", "message"), [case[1:] for case in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_one_error_line_and_writes_nothing(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Any],
    args: list[str],
    message: str,
) -> None:
    for name, content in files.items():
        path = in_tmp / name
        if content is None:
            path.mkdir()
        elif isinstance(content, np.ndarray):
            np.save(path, content)
        elif content == "object":
            np.savez(path, x=np.array([[object()]], dtype=object), y=np.zeros(1),
                     allow_pickle=True)  # fmt: skip
        elif callable(content):
            content(path)
        else:
            path.write_text(content)
    capsys.readouterr()
    (in_tmp / "out.csv").write_text("old\n")
    out_args = ["--out", "out.npz"] if args[0] == "train" else []
    if args[0] == "predict":
        out_args = ["--out", "out.csv"]
    before = sorted(p.name for p in in_tmp.iterdir())
    code, out, err = run_cli([*args, *out_args], capsys)
    assert code == 2 and out == ""
    assert err == f"twolayer {args[0]}: error: {err.split('error: ', 1)[1]}"
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err
    assert sorted(p.name for p in in_tmp.iterdir()) == before
    assert (in_tmp / "out.csv").read_text() == "old\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--dataset", "digits", "--data", "d.csv"], "not allowed with argument"),
        (["train", "--dataset", "digits", "--n", "5"], "--n only size the random dataset"),
        (["train", "--target", "y"], "--target chooses columns of a --data file"),
        (["train", "--checkpoint-every", "5"], "--checkpoint-every needs --out"),
        (["train", "--out", "model.pkl"], "--out 'model.pkl' must end in .npz"),
        (["train", "--history", "h.txt"], "must end in .csv, .jsonl or .ndjson"),
        (["train", "--plot", "loss.gif"], "must end in .png, .svg, .pdf"),
        (["train", "--out", "no/such/dir/m.npz"], "the directory 'no/such/dir' does not exist"),
        (["train", "--data", "d.json"], "unknown file type '.json'"),
    ],
)
def test_bad_options_are_usage_errors(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(args, capsys)
    assert code == 2 and out == "" and err.startswith("usage: twolayer train")
    assert message in err.splitlines()[-1]
    assert list(in_tmp.iterdir()) == []


# --- checkpoints, resume, Ctrl-C ---------------------------------------------------------------


def test_resume_refuses_changed_settings(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(in_tmp / "d.csv")
    assert main(["train", "--data", "d.csv", *FAST, "--iterations", "2", "--out", "m.npz",
                 "--quiet"]) == 0  # fmt: skip
    code, _, err = run_cli(["train", "--resume", "m.npz", "--lr", "0.5"], capsys)
    assert code == 2 and "leave out --lr" in err
    write_csv(in_tmp / "d.csv", seed=9)
    code, _, err = run_cli(["train", "--resume", "m.npz", "--iterations", "4"], capsys)
    assert code == 2 and "m.npz: the training data changed since it was saved" in err


def test_checkpoint_every_k_and_resume_to_a_longer_run(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(in_tmp / "d.csv")
    base = ["train", "--data", "d.csv", *FAST, "--batch-size", "8", "--quiet"]
    assert main([*base, "--iterations", "9", "--out", "whole.npz"]) == 0
    assert main([*base, "--iterations", "5", "--out", "part.npz", "--checkpoint-every", "2"]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(["train", "--resume", "part.npz", "--iterations", "9"], capsys)
    assert code == 0 and [line.split()[0] for line in printed_lines(out)[:4]] == [
        "5",
        "6",
        "7",
        "8",
    ]
    whole, part = load_model_file("whole.npz"), load_model_file("part.npz")
    for name, value in whole.model.params.named().items():
        assert getattr(part.model.params, name).tobytes() == value.tobytes()
    assert [r["loss"] for r in part.history] == [r["loss"] for r in whole.history]


def test_a_periodic_checkpoint_says_the_run_was_still_going(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twolayer.outputs import callbacks

    write_csv(in_tmp / "d.csv")
    seen: list[str] = []
    real_save = callbacks.Checkpoint.save

    def spy(self: callbacks.Checkpoint, state: Any, **summary: Any) -> Any:
        model = real_save(self, state, **summary)
        seen.append(load_model_file(self.path).model.summary["stop_reason"])
        return model

    monkeypatch.setattr(callbacks.Checkpoint, "save", spy)
    args = ["train", "--data", "d.csv", *FAST, "--iterations", "4", "--quiet", "--out", "c.npz",
            "--checkpoint-every", "2"]  # fmt: skip
    assert main(args) == 0
    assert seen == ["checkpoint", "checkpoint"]  # the periodic saves, while the run went on
    assert load_model_file("c.npz").model.summary["stop_reason"] == "completed"  # the last one


def test_ctrl_c_saves_a_checkpoint_and_resuming_gives_the_same_weights(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(in_tmp / "d.csv", n=400)
    options = ["--data", "d.csv", *FAST, "--lr", "1e-3", "--batch-size", "4"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "twolayer", "train", *options, "--iterations", "100000",
         "--out", "c.npz"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().startswith("# iteration, training loss")
    printed = [child.stdout.readline() for _ in range(3)]  # training is under way
    assert [line.split()[0] for line in printed] == ["0", "1", "2"]
    child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60
    out, err = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
    assert child.returncode == 130
    saved = load_model_file("c.npz")
    assert saved.state is not None
    done = saved.state.iteration
    assert error_lines(err) == (
        f"twolayer train: interrupted after iteration {done - 1}; checkpoint saved to c.npz; "
        "continue with: twolayer train --resume c.npz\n"
    )
    assert (printed + out.splitlines(keepends=True))[-1].startswith(f"{done - 1} ")
    assert saved.model.summary["stop_reason"] == "interrupted"

    total = str(done + 3)
    assert main(["train", "--resume", "c.npz", "--iterations", total, "--quiet"]) == 0
    assert main(["train", *options, "--iterations", total, "--out", "ref.npz", "--quiet"]) == 0
    resumed, reference = load_model_file("c.npz"), load_model_file("ref.npz")
    for name, value in reference.model.params.named().items():
        assert getattr(resumed.model.params, name).tobytes() == value.tobytes(), name
    assert resumed.state is not None and reference.state is not None
    for buffer, values in reference.state.opt_state.items():
        for name, value in values.named().items():
            assert np.array_equal(getattr(resumed.state.opt_state[buffer], name), value)
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in reference.history]
