"""The documentation site's sources (docs/conf.py, docs/index.md, docs/api.rst) cover what they
should: every public name in the API reference, every tutorial in the table of contents, every
guide page reachable.  The build itself (`python -m sphinx -W ...`) is a step of .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

import twolayer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def autosummary_names() -> list[str]:
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    names = []
    for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)+)", text):
        names += [line.strip() for line in block.splitlines()
                  if line.strip() and not line.strip().startswith(":")]  # fmt: skip
    return names


def toctree_entries() -> list[str]:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    entries = []
    for block in re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S):
        entries += [line.strip() for line in block.splitlines()
                    if line.strip() and not line.startswith(":")]  # fmt: skip
    return entries


def test_the_api_reference_lists_every_public_name_once() -> None:
    names = autosummary_names()
    assert sorted(names) == sorted(set(twolayer.__all__) - {"__version__"})
    assert "__version__" in (DOCS / "api.rst").read_text(encoding="utf-8")


def test_every_tutorial_and_every_guide_is_in_the_table_of_contents() -> None:
    entries = toctree_entries()
    tutorials = [f"tutorials/{p.stem}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert [e for e in entries if e.startswith("tutorials/")] == tutorials
    guides = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    assert guides <= set(entries)
    assert {"api", "auto_examples/index"} <= set(entries)


def test_what_the_build_writes_is_ignored_by_git_and_by_pytest() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    generated = ["docs/_build/", "docs/generated/", "docs/auto_examples/", "docs/tutorials/"]
    assert set(generated) <= set(ignored)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for folder in generated:
        assert f'"{folder.rstrip("/")}"' in pyproject  # in norecursedirs
