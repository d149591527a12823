"""Every shell session shown in the documentation is one the tests run: a block that shows
``$ command`` lines must be a ```` ```console ```` block (tests/docs_check.py runs those)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docs_check import ROOT, commands_of, output_matches

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_shell_sessions_are_console_blocks(path: Path) -> None:
    for info, body in FENCE.findall(path.read_text(encoding="utf-8")):
        language = info.split()[0] if info.split() else ""
        if any(line.startswith("$ ") for line in body.splitlines()):
            assert language == "console", f"{path.name}: a shell session in a ```{info} block"


def test_numbers_are_compared_to_the_tolerance_and_lines_in_order() -> None:
    assert output_matches(["0 26365524.193454307"], ["0 26365524.19345431"], 1e-6)
    assert not output_matches(["0 26365524.193454307"], ["0 26365524.19345431"], 1e-18)
    assert not output_matches(["499 6.9e-05"], ["499 6.9e-04"], 1e-3)
    assert not output_matches(["499 6.9e-05"], ["498 6.9e-05"], 1e-3)  # integers exactly
    assert output_matches(["a", "...", "z"], ["a", "b", "c", "z"], 0)
    assert output_matches(["a", "...", "z"], ["a", "z"], 0)
    assert not output_matches(["a", "...", "z"], ["z", "a"], 0)
    assert not output_matches(["a"], ["a", "b"], 0)  # nothing printed beyond what is shown
    assert output_matches(['{"seconds": ..., "n": 3}'], ['{"seconds": 0.25, "n": 3}'], 0)
    assert not output_matches(['{"seconds": ..., "n": 3}'], ['{"seconds": 0.25, "n": 4}'], 0)
    assert output_matches(["name  task"], ["name\ttask"], 0)


def test_shown_commands_are_split_into_simple_commands() -> None:
    text = "pip install '.[data]' && twolayer seed --quiet  # comment\ntwolayer train \\\n    --bias | head -3\n"
    assert commands_of(text) == [["pip", "install", ".[data]"], ["twolayer", "seed", "--quiet"],
                                 ["twolayer", "train", "--bias"], ["head", "-3"]]  # fmt: skip


def test_a_shown_command_that_cannot_work_is_named() -> None:
    from docs_check import check_command

    assert "unrecognized arguments: --scores" in str(
        check_command(["twolayer", "plot", "--scores", "h.csv"])
    )
    assert "invalid choice" in str(check_command(["twolayer", "datasets", "show"]))
    assert check_command(["twolayer", "datasets"]) is None
    assert check_command(["twolayer", "train", "--target", "-1", "--data", "d.csv"]) is None
    assert "no extra ['nope']" in str(check_command(["pip", "install", ".[test,nope]"]))
    assert check_command(["pip", "install", ".[test,data]"]) is None
    assert "no file examples/nope.py" in str(check_command(["python", "examples/nope.py"]))
    assert check_command(["python", "examples/classic.py"]) is None
