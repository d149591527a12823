"""`twolayer seed` and the library reproduce the seed's printed run bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from reference import seed_loop
from twolayer.cli import main
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.outputs.callbacks import PrintLosses, record_line
from twolayer.train import train


def run_library(seed: int, problem: SeedProblem) -> tuple[list[str], np.ndarray, np.ndarray]:
    x, y, params = seed_draws(seed, problem)
    result = train(x, y, problem.config(track="loss"), params)
    return [record_line(r) for r in result.history], result.params.w1, result.params.w2


@pytest.mark.parametrize("seed", [0, 1, 42, 2024, 2**32 - 1])
def test_library_run_is_bit_identical_to_the_seed(seed: int) -> None:
    expected, w1, w2 = seed_loop(seed)
    lines, our_w1, our_w2 = run_library(seed, SeedProblem())
    assert lines == expected
    assert np.array_equal(our_w1, w1)
    assert np.array_equal(our_w2, w2)


@pytest.mark.parametrize(
    ("n", "d_in", "hidden", "d_out", "lr"), [(8, 30, 5, 2, 1e-4), (33, 17, 64, 1, 1e-4)]
)
def test_other_sizes_are_bit_identical(
    n: int, d_in: int, hidden: int, d_out: int, lr: float
) -> None:
    expected, w1, _ = seed_loop(3, n, d_in, hidden, d_out, lr, 60)
    lines, our_w1, _ = run_library(3, SeedProblem(n, d_in, hidden, d_out, lr, 60))
    assert lines == expected
    assert np.array_equal(our_w1, w1)


def test_cli_prints_the_seed_lines(capsys: pytest.CaptureFixture[str]) -> None:
    expected, _, _ = seed_loop(7)
    assert main(["seed", "--seed", "7"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == expected
    assert err == ""


def test_quiet_prints_only_the_final_line(capsys: pytest.CaptureFixture[str]) -> None:
    expected, _, _ = seed_loop(0, iterations=20)
    assert main(["seed", "--quiet", "--iterations", "20"]) == 0
    assert capsys.readouterr().out.splitlines() == expected[-1:]


def test_real_subprocess_and_python_dash_m() -> None:
    expected, _, _ = seed_loop(5, 16, 40, 8, 3, 1e-4, 30)
    args = ["seed", "--seed", "5", "--n", "16", "--d-in", "40", "--hidden", "8", "--d-out", "3"]
    args += ["--lr", "1e-4", "--iterations", "30"]
    for command in (["twolayer"], [sys.executable, "-m", "twolayer"]):
        done = subprocess.run(command + args, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == expected
        assert done.stderr == ""


def test_seed_run_reaches_a_loss_below_1e_3() -> None:
    lines, _, _ = run_library(0, SeedProblem())
    losses = [float(line.split()[1]) for line in lines]
    assert losses[-1] < 1e-3
    assert losses[0] > 1e6


def test_zero_iterations_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--iterations", "0"]) == 0
    assert capsys.readouterr().out == ""


def test_print_losses_quiet_with_no_history_prints_nothing() -> None:
    import io

    stream = io.StringIO()
    x, y, params = seed_draws(0, SeedProblem(iterations=0))
    train(
        x,
        y,
        SeedProblem(iterations=0).config(),
        params,
        callbacks=[PrintLosses(stream, quiet=True)],
    )
    assert stream.getvalue() == ""


def test_classic_example_prints_the_seed_lines() -> None:
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "classic.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    # The reference runs in a process of its own too, so both use the BLAS thread count a fresh
    # process gets (another count rounds the products differently).
    tests = Path(__file__).resolve().parents[1]
    reference = "from reference import seed_loop\nprint(*seed_loop(0)[0], sep='\\n')"
    expected = subprocess.run(
        [sys.executable, "-c", reference], cwd=tests, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == expected.stdout.splitlines()
