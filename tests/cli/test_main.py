"""The command line: bad arguments, divergence, gradcheck, help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--n", "0"], "argument --n: must be an integer > 0, got 0"),
        (["seed", "--d-in", "-3"], "argument --d-in: must be an integer > 0, got -3"),
        (["seed", "--hidden", "0"], "argument --hidden: must be an integer > 0, got 0"),
        (["seed", "--d-out", "0"], "argument --d-out: must be an integer > 0, got 0"),
        (["seed", "--lr", "0"], "argument --lr: must be a finite number > 0, got 0"),
        (["seed", "--lr=-1e-6"], "argument --lr: must be a finite number > 0, got -1e-6"),
        (["seed", "--lr", "nan"], "argument --lr: must be a finite number > 0, got nan"),
        (["seed", "--lr", "inf"], "argument --lr: must be a finite number > 0, got inf"),
        (["seed", "--iterations", "-1"], "argument --iterations: must be an integer >= 0, got -1"),
        (["seed", "--iterations", "ten"], "argument --iterations: must be an integer, got 'ten'"),
        (["seed", "--lr", "fast"], "argument --lr: must be a number, got 'fast'"),
        (["seed", "--seed", "-1"], "argument --seed: must be between 0 and 4294967295, got -1"),
        (["seed", "--seed", str(2**32)], "argument --seed: must be between 0 and 4294967295"),
        (
            ["train", "--momentum", "1.5", "--optimizer", "momentum"],
            "argument --momentum: must be in [0, 1), got 1.5",  # the flag and value, as typed
        ),
        (
            ["train", "--activation", "swish"],
            "argument --activation: unknown activation 'swish'; valid activations are: "
            "identity, leaky_relu, logistic, relu, tanh",
        ),
        (
            ["train", "--validation-fraction", "1"],
            "argument --validation-fraction: must be in [0, 1), got 1",
        ),
        (["train", "--optimizer", "lbfgs", "--batch-size", "4"], "leave --batch-size unset"),
        (["train", "--lr-min", "5"], "--lr-min must be between 0 and lr, got 5.0"),
        (["gradcheck", "--n", "x"], "argument --n: must be an integer, got 'x'"),
        (["seed", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2_with_one_error_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert out == ""
    error_lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(error_lines) == 1
    assert len(err.splitlines()) <= 2  # at most one short usage line before it
    # argparse reports unknown options from the top-level parser, everything else from the command's
    prog = "twolayer" if "unrecognized" in message else f"twolayer {args[0]}"
    assert error_lines[0].startswith(f"{prog}: error: ")
    assert message in error_lines[0]
    assert "Traceback" not in err


def test_divergence_stops_with_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["seed", "--lr", "1e-3"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines, "the finite losses before divergence are printed as the seed prints them"
    assert not any("nan" in line or "inf" in line for line in lines)
    last_iteration = int(lines[-1].split()[0])
    assert err.strip() == (
        f"twolayer seed: error: training diverged at iteration {last_iteration + 1}: the loss became "
        "inf; the learning rate 0.001 is too large, try a smaller one such as 0.0001"
    )


def test_divergence_in_a_real_process_has_no_warnings_or_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "twolayer", "seed", "--lr", "1e-3", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "too large" in done.stderr
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr


def test_gradcheck_passes_and_reports_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["gradcheck", "--bias", "--activation", "tanh", "--loss", "mse"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == ["w1", "w2", "b1", "b2"]
    for line in lines[:4]:
        assert float(line.split("relative error ")[1].split()[0]) < 1e-7
    assert lines[-1].startswith("ok: largest relative error")


def test_gradcheck_fails_with_exit_1_when_the_check_cannot_pass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A huge finite-difference step makes the numerical gradient of tanh visibly wrong.
    code, out, _ = run_cli(["gradcheck", "--activation", "tanh", "--eps", "0.01"], capsys)
    assert code == 1
    assert out.splitlines()[-1].startswith("FAILED")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    for command in ("seed", "train", "gradcheck"):
        assert command in out


def test_broken_pipe_is_quiet() -> None:
    done = subprocess.run(
        f"{sys.executable} -m twolayer seed | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.splitlines()[0].startswith("0 ")
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""


def test_version_is_the_installed_one(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    import twolayer

    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0
    assert out == f"twolayer {version('twolayer')}\n"
    assert twolayer.__version__ == version("twolayer")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--eps", "1e300"], "argument --eps: must be between 1e-12 and 0.01, got 1e300"),
        (["--eps", "1e-20"], "argument --eps: must be between 1e-12 and 0.01, got 1e-20"),
        (["--d-in", "300", "--hidden", "300", "--n", "20"],
         "central differences would take about 661 GFLOP (2 forward passes for each of 90,900 weights)"),
    ],
)  # fmt: skip
def test_gradcheck_refuses_steps_and_sizes_it_cannot_check_well(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from helpers import assert_one_error

    code, out, err = run_cli(["gradcheck", *args], capsys)
    assert_one_error(code, out, err, message)
