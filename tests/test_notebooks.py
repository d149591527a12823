"""The tutorials in notebooks/ are kept in git without outputs: what a reader opens is what the
tests run (`python -m pytest --nbmake notebooks`, a step of .ci/run), and no diff carries
pictures or execution counts.  `nbstripout notebooks/*.ipynb` strips them before a commit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict[str, Any]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    return list(notebook["cells"])


def test_there_are_the_five_numbered_tutorials() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 5
    assert [name[:3] for name in names] == [f"{i:02d}_" for i in range(1, len(names) + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} of {path.name} holds outputs"
            assert cell["execution_count"] is None, f"cell {i} of {path.name} was counted"
        assert not set(cell.get("metadata", {})) - {"tags"}, f"cell {i}: editor metadata"
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_tutorial_has_a_numbered_title_and_checks_its_claims(path: Path) -> None:
    first, *rest = cells(path)
    number = int(path.name[:2])
    assert first["cell_type"] == "markdown"
    assert re.match(rf"# {number}\. \S", "".join(first["source"]))
    code = "".join("".join(c["source"]) for c in rest if c["cell_type"] == "code")
    assert "assert " in code
