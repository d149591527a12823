"""The seed document ships with the repository (docs/seed/), and its code is what
``twolayer seed`` reproduces: the notebook's own lines, run after ``np.random.seed(S)``, print
exactly ``twolayer seed --seed S``'s lines."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli

SEED_DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "seed" / "000_a9de79f32e810abc.txt"


def notebook_code() -> str:
    """The Python of the notebook: from its ``import`` to its last weight update, without the
    ``In [n]:`` prompts and the markdown around them."""
    lines = SEED_DOCUMENT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("import numpy"))
    end = next(i for i, line in enumerate(lines) if "w2 -= learning_rate * grad_w2" in line)
    return "\n".join(line for line in lines[start : end + 1] if not line.startswith("In ["))


def test_the_seed_document_is_in_the_repository() -> None:
    code = notebook_code()
    assert "N, D_in, H, D_out = 64, 1000, 100, 10" in code and "learning_rate = 1e-6" in code


@pytest.mark.parametrize("seed", [3])
def test_twolayer_seed_prints_what_the_notebook_prints(
    seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = io.StringIO()
    np.random.seed(seed)  # noqa: NPY002 - the notebook draws from the legacy global state
    with contextlib.redirect_stdout(printed):
        exec(compile(notebook_code(), str(SEED_DOCUMENT), "exec"), {})
    code, out, _ = run_cli(["seed", "--seed", str(seed)], capsys)
    assert code == 0
    assert out.splitlines() == printed.getvalue().splitlines()
    assert len(out.splitlines()) == 500
