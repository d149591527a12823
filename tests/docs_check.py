"""The commands shown in README.md and docs/*.md, checked by the test run (``conftest.py``).

Three kinds of fenced block are checked, with Sybil (https://sybil.readthedocs.io):

* ```` ```console ```` blocks are shell sessions: each ``$ command`` runs in bash, in a folder of
  its own for each document (so one block can write a file that a later block reads), and what
  it prints (stdout and stderr together, as a terminal shows them) must be what the block shows
  under it. Numbers are compared to a relative tolerance, ``1e-6`` unless the block's info
  string says otherwise (```` ```console rtol=1e-3 ````); a line ``...`` stands for any number of
  lines, and ``...`` inside a line for any text. ``interrupt-after=7`` sends Ctrl-C (SIGINT) once
  a printed line starts with ``7 ``; a ``^C`` at the start of a shown line is the terminal's
  echo of it, not output.
* ```` ```bash ```` blocks show commands without their output: each ``twolayer`` command in them
  must parse (its subcommand, options and values), each ``pip install`` must name extras that
  ``pyproject.toml`` defines, and each ``python FILE`` must name a file of the repository.
* ```` ```python ```` blocks run, in one namespace for each document; those written as
  ``>>>`` sessions compare their output as doctest does (with ``ELLIPSIS``: ``...`` stands
  for any text, so a float can be shown to the digits that do not depend on the machine).

``twolayer`` and ``python`` in a command are the interpreter running the tests, with the
installed package: the commands run exactly what a user of this installation would run.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-6
"""The relative tolerance of printed numbers, unless a block states its own."""

TIMEOUT_S = 300

_NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_PIECE = re.compile(rf"(\.\.\.)|({_NUMBER})|(\s+)")


# ---------------------------------------------------------------------------------------------
# Matching what a command printed against what a block shows


@dataclass(frozen=True)
class LinePattern:
    """One shown line: a regular expression, and the numbers it holds."""

    regex: re.Pattern[str]
    numbers: tuple[str, ...]

    @classmethod
    def of(cls, shown: str) -> LinePattern:
        parts, numbers, at = [], [], 0
        for match in _PIECE.finditer(shown):
            parts.append(re.escape(shown[at : match.start()]))
            ellipsis, number, _ = match.groups()
            if ellipsis:
                parts.append(".*?")
            elif number:
                parts.append(f"({_NUMBER})")
                numbers.append(number)
            else:
                parts.append(r"\s+" if match.end() < len(shown) else r"\s*")
            at = match.end()
        parts.append(re.escape(shown[at:]))
        return cls(re.compile("".join(parts) + r"\s*"), tuple(numbers))

    def matches(self, line: str, rtol: float) -> bool:
        found = self.regex.fullmatch(line)
        if found is None:
            return False
        return all(_close(a, b, rtol) for a, b in zip(found.groups(), self.numbers, strict=True))


def _close(printed: str, shown: str, rtol: float) -> bool:
    if not re.search(r"[.eE]", shown):  # an integer: a count, an index, a size
        return printed == shown
    a, b = float(printed), float(shown)
    return abs(a - b) <= rtol * abs(b)


def output_matches(shown: list[str], printed: list[str], rtol: float) -> bool:
    """Whether ``printed`` fits ``shown`` line by line, where a shown ``...`` line stands for
    any number of printed lines."""
    patterns = [None if s.strip() == "..." else LinePattern.of(s) for s in shown]
    fits: dict[tuple[int, int], bool] = {}

    def fit(i: int, j: int) -> bool:  # shown[i:] against printed[j:]
        if (i, j) not in fits:
            if i == len(patterns):
                fits[i, j] = j == len(printed)
            elif (pattern := patterns[i]) is None:
                fits[i, j] = fit(i + 1, j) or (j < len(printed) and fit(i, j + 1))
            else:
                fits[i, j] = (
                    j < len(printed) and pattern.matches(printed[j], rtol) and fit(i + 1, j + 1)
                )
        return fits[i, j]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * (len(shown) + len(printed)) + 100))
    return fit(0, 0)


# ---------------------------------------------------------------------------------------------
# Console blocks: commands and what they print


@dataclass(frozen=True)
class Step:
    """One ``$ command`` of a console block and the lines shown under it."""

    command: str
    shown: list[str]


@dataclass(frozen=True)
class Session:
    steps: list[Step]
    rtol: float
    interrupt_after: str | None


def parse_session(text: str, options: dict[str, str]) -> Session:
    steps: list[Step] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(
                f"a console block's line is neither a command nor output: {lines[i]!r}"
            )
        command = [lines[i][2:]]
        while command[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i].removeprefix("^C"))
            i += 1
        steps.append(Step("\n".join(command), shown))
    unknown = set(options) - {"rtol", "interrupt-after"}
    if unknown:
        raise ValueError(f"unknown console block options: {sorted(unknown)}")
    return Session(steps, float(options.get("rtol", RTOL)), options.get("interrupt-after"))


def command_environment(bin_dir: Path) -> dict[str, str]:
    """The environment of a documented command: ``twolayer`` and ``python`` are this test run's
    interpreter; output unbuffered so stdout and stderr interleave as on a terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1",
               COLUMNS="100", TERM="dumb")  # fmt: skip
    return env


def make_bin(folder: Path) -> Path:
    """``twolayer`` and ``python`` in a folder of their own, both this interpreter."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    for name, run in (("twolayer", "-m twolayer"), ("python", "")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {run} "$@"\n')
        script.chmod(0o755)
    return bin_dir


def run_command(command: str, cwd: Path, env: dict[str, str], interrupt_after: str | None) -> str:
    """What ``command`` prints, stdout and stderr together; Ctrl-C once a line starts with
    ``interrupt_after``."""
    with subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as process:  # fmt: skip
        assert process.stdout is not None
        printed = []
        try:
            for line in process.stdout:
                printed.append(line)
                if interrupt_after is not None and line.startswith(f"{interrupt_after} "):
                    os.killpg(process.pid, signal.SIGINT)
                    interrupt_after = None
            process.wait(timeout=TIMEOUT_S)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    return "".join(printed)


def evaluate_session(example: Example) -> str | None:
    session: Session = example.parsed
    folder: Path = example.namespace["folder"]
    env = command_environment(folder / ".bin")
    for step in session.steps:
        printed = run_command(step.command, folder, env, session.interrupt_after).splitlines()
        if not output_matches(step.shown, printed, session.rtol):
            diff = "\n".join(
                difflib.unified_diff(step.shown, printed, "shown", "printed", lineterm="")
            )
            return f"$ {step.command}\nprinted other than shown (rtol {session.rtol:g}):\n{diff}"
    return None


class ConsoleParser:
    """```` ```console [rtol=R] [interrupt-after=K] ```` blocks: shell sessions that run."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(
            language=r"console(?:[ \t][^\n]*)?", mapping={"language": "info", "source": "source"}
        )

    def __call__(self, document: Document) -> Any:
        for region in self.lexer(document):
            words = str(region.lexemes["info"]).split()[1:]
            options = dict(word.split("=", 1) for word in words)
            yield Region(region.start, region.end,
                         parse_session(str(region.lexemes["source"]), options), evaluate_session)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Bash blocks: commands shown without output


def extras_defined() -> set[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return set(tomllib.load(f)["project"]["optional-dependencies"])


def check_command(words: list[str]) -> str | None:
    """Why a shown command cannot work as written, or None."""
    if not words:
        return None
    if words[0] == "twolayer":
        from twolayer.cli.main import _negative_values, build_parser

        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
                build_parser().parse_args(_negative_values(words[1:]))
        except SystemExit as exc:
            if exc.code:
                return errors.getvalue().strip().splitlines()[-1]
        return None
    if words[:2] == ["pip", "install"]:
        for word in words[2:]:
            if (found := re.fullmatch(r"\.\[([\w,-]+)\]", word)) is not None:
                missing = set(found.group(1).split(",")) - extras_defined()
                if missing:
                    return f"pyproject.toml defines no extra {sorted(missing)}"
        return None
    if words[0] == "python" and len(words) > 1 and words[1].endswith(".py"):
        return None if (ROOT / words[1]).is_file() else f"no file {words[1]}"
    return None


def commands_of(text: str) -> list[list[str]]:
    """The simple commands of a bash block: lines joined at ``\\``, split at ``&&``, ``|`` and
    ``;``, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    commands = []
    for line in joined.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in lexer:
            if token in ("&&", "||", "|", ";", "&"):
                commands.append(words)
                words = []
            else:
                words.append(token)
        commands.append(words)
    return [c for c in commands if c]


def evaluate_commands(example: Example) -> str | None:
    problems = []
    for words in example.parsed:
        problem = check_command(words)
        if problem:
            problems.append(f"{shlex.join(words)}\n  -> {problem}")
    return "\n".join(problems) or None


class BashParser:
    """```` ```bash ```` blocks: each command must be one that can run as written."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language="bash")

    def __call__(self, document: Document) -> Any:
        for region in self.lexer(document):
            yield Region(region.start, region.end, commands_of(str(region.lexemes["source"])),
                         evaluate_commands)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# One folder per document


def missing(module: str) -> bool:
    """For ``<!-- skip: next if(missing("torch"), reason="...") -->``: whether ``module`` cannot
    be imported."""
    try:
        __import__(module)
    except ImportError:
        return True
    return False


def setup(namespace: dict[str, Any]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="twolayer-docs-"))
    make_bin(folder)
    namespace.update(folder=folder, missing=missing, __cwd=os.getcwd())
    os.chdir(folder)  # python blocks write their files there too


def teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__cwd"])
    shutil.rmtree(namespace["folder"], ignore_errors=True)


def documentation() -> Sybil:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    return Sybil(
        parsers=[
            ConsoleParser(),
            BashParser(),
            PythonCodeBlockParser(doctest_optionflags=flags),
            SkipParser(),
        ],
        patterns=["README.md", "docs/*.md"],
        path=str(ROOT),
        setup=setup,
        teardown=teardown,
    )
