"""The scripts in examples/ run as the README says, after the README's install alone.
(classic.py is held to the seed's lines in tests/cli/test_seed.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_python(code: str) -> str:
    """What ``python -c CODE`` prints, with one BLAS thread: the products are small, and a busy
    machine's spinning threads cost more than they give (the thread count changes the rounding,
    so runs compared bit for bit run alike)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def run_example(name: str, *, hide: str | None = None) -> str:
    """The output of ``python examples/NAME``; ``hide`` makes a package look not installed."""
    prelude = f"import sys; sys.modules[{hide!r}] = None; " if hide else ""
    return run_python(
        f"{prelude}import runpy; runpy.run_path({str(EXAMPLES / name)!r}, run_name='__main__')"
    )


@pytest.mark.parametrize("hide", [None, "scipy"])
def test_every_optimizer_runs_on_the_seed_and_lbfgs_says_what_it_needs(hide: str | None) -> None:
    if hide is None:
        pytest.importorskip("scipy")
    lines = run_example("optimizers_on_seed.py", hide=hide).splitlines()
    assert [line.split()[0] for line in lines] == ["gd", "momentum", "nesterov", "adam", "lbfgs"]
    for line in lines[:4]:
        assert "(completed)" in line
    if hide:
        assert lines[4].endswith("needs SciPy: pip install 'twolayer[lbfgs]'")
    else:
        assert lines[4].endswith("(converged)")


def test_the_plotted_example_draws_both_runs_and_saves_its_figure(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "plot_seed_loss.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seed, momentum = done.stdout.splitlines()
    assert seed.startswith("gradient descent, lr 1e-6 (the seed): iteration 499 loss 6.947")
    assert momentum.startswith("momentum 0.9, lr 2e-7: iteration 499 loss ")
    assert (tmp_path / "seed_loss.png").read_bytes().startswith(b"\x89PNG")
