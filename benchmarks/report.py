"""What a speed benchmark found, written down: the targets, markdown, JSON, docs/benchmarks.md.

:func:`targets` judges a :class:`harness.BenchResult` against the acceptance targets;
:func:`markdown` renders the machine, one table per workload (twolayer's own table,
:func:`runs.table`, with the peak and memory columns added) and the targets;
:func:`write_section` puts a section in a markdown file between its markers, leaving the rest
of that file alone; :func:`to_json` keeps every timing.  :func:`section_parser` and
:func:`publish` are the command line the smaller scripts that write one section each share.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import BenchResult
from runs import Column, Row, WorkloadResult, gflops, table
from runs import to_json as workload_json
from twolayer import DataError
from twolayer.io.files import read_bytes
from twolayer.io.writing import atomic_write

SECTION = "speed"
"""The markers of the speed section: ``<!-- speed:start -->`` and ``<!-- speed:end -->``."""


def markers(section: str) -> tuple[str, str]:
    """The start and end markers of ``section`` in docs/benchmarks.md."""
    return f"<!-- {section}:start -->", f"<!-- {section}:end -->"


START_MARKER, END_MARKER = markers(SECTION)


@dataclass(frozen=True)
class Target:
    """One acceptance target, the figure measured for it and whether it is met."""

    text: str
    figure: str
    met: bool | None  # None: not measured in this run


def _ratio(result: WorkloadResult, name: str, dtype: str) -> float | None:
    row = result.row(name, dtype)
    if row is None or not row.times or not result.reference.times:
        return None
    return row.median / result.reference.median


def targets(result: BenchResult) -> list[Target]:
    """The acceptance targets, each with its figure from ``result``."""
    by_name = {w.workload.name: w for w in result.workloads}
    found: list[Target] = []

    def ratio_target(workload: str, name: str, dtype: str, limit: float, text: str) -> None:
        w = by_name.get(workload)
        value = None if w is None else _ratio(w, name, dtype)
        if w is None or value is None:
            found.append(Target(text, "not measured", None))
            return
        if workload == "seed" and name == "twolayer direct" and dtype == "float64":
            row = w.row(name, dtype)
            same = row is not None and row.losses == w.reference.losses
            identical = "bit-identical" if same else "NOT bit-identical"
            found.append(Target(text, f"{value:.3f}x, {identical}", value <= limit and same))
            return
        found.append(Target(text, f"{value:.3f}x", value <= limit))

    ratio_target(
        "seed",
        "twolayer direct",
        "float64",
        0.90,
        "seed, direct float64, bit-identical: <= 0.90x the seed's loop",
    )
    ratio_target("seed", "twolayer dual", "float64", 0.12, "seed, dual solver: <= 0.12x")
    ratio_target("seed", "twolayer direct", "float32", 0.50, "seed, direct float32: <= 0.50x")

    def peak_target(workload: str, dtype: str, least: float) -> None:
        text = f"{workload}, direct {dtype}: >= {100 * least:.0f}% of the {dtype} peak"
        w = by_name.get(workload)
        row = w.row("twolayer direct", dtype) if w else None
        if w is None or row is None or not row.times or dtype not in result.peak:
            found.append(Target(text, "not measured", None))
            return
        rate = gflops(w, row)
        share = rate / result.peak[dtype]
        figure = f"{100 * share:.0f}% ({rate:.1f} of {result.peak[dtype]:.1f} GFLOP/s)"
        found.append(Target(text, figure, share >= least))

    def peer_target(workload: str, dtype: str, peer: str, most: float) -> None:
        text = f"{workload}, direct {dtype}: <= {most:.2f}x {peer}"
        w = by_name.get(workload)
        ours = w.row("twolayer direct", dtype) if w else None
        theirs = w.row(peer, dtype) if w else None
        if ours is None or theirs is None or not ours.times or not theirs.times:
            found.append(Target(text, "not measured", None))
            return
        value = ours.median / theirs.median
        figure = f"{value:.3f}x ({ours.median:.3g} s vs {theirs.median:.3g} s)"
        found.append(Target(text, figure, value <= most))

    for dtype in ("float64", "float32"):
        peak_target("wide", dtype, 0.90)
    ratio_target("tall", "twolayer direct", "float64", 0.30, "tall, direct float64: <= 0.30x")
    peak_target("tall", "float64", 0.50)
    peer_target("tall", "float64", "JAX jit", 0.85)
    peer_target("tall", "float32", "JAX jit", 0.90)
    for w in result.workloads:
        found += _peer_targets(w)
    return found + _check_targets(result.checks)


def _peer_targets(w: WorkloadResult) -> list[Target]:
    """For each dtype, twolayer's fastest row against every peer's."""
    found = []
    for dtype in ("float64", "float32"):
        ours = [r for r in w.rows if r.name.startswith("twolayer") and r.dtype == dtype]
        ours = [r for r in ours if r.times]
        if not ours:
            continue
        best = min(ours, key=lambda r: r.median)
        for peer in w.rows:
            if peer.name.startswith(("twolayer", "seed")) or peer.dtype != dtype:
                continue
            text = f"{w.workload.name} {dtype}: twolayer faster than {peer.name}"
            if not peer.times:
                found.append(Target(text, peer.skipped, None))
                continue
            figure = f"{best.name} {best.median:.3g} s vs {peer.median:.3g} s"
            found.append(Target(text, figure, best.median < peer.median))
    return found


def _check_targets(checks: dict[str, dict[str, float]]) -> list[Target]:
    found = []
    if "allocation" in checks:
        a = checks["allocation"]
        found.append(
            Target(
                "no per-iteration allocation in the NumPy loop (tracemalloc)",
                f"{a['net_bytes']:.0f} bytes net over {a['iterations']:.0f} iterations "
                f"({a['transient_bytes']:.0f} bytes of NumPy call bookkeeping at most)",
                a["net_bytes"] == 0,
            )
        )
    if "printing" in checks:
        p = checks["printing"]
        found.append(
            Target(
                "twolayer seed printing 500 lines: <= 5% slower than --quiet",
                f"{100 * (p['ratio'] - 1):+.1f}%",
                p["ratio"] <= 1.05,
            )
        )
    if "process" in checks:
        p = checks["process"]
        found.append(
            Target(
                f"whole process, twolayer seed --quiet vs the seed's script "
                f"(T({p['iterations']:.0f}) - T(1)): <= 0.95x",
                f"{p['ratio']:.3f}x ({p['ours_s']:.2f} s vs {p['seed_s']:.2f} s)",
                p["ratio"] <= 0.95,
            )
        )
    return found


def extra_columns(result: BenchResult) -> list[Column]:
    """The columns the full benchmark adds to twolayer's table: % of peak, peak memory."""

    def share(w: WorkloadResult, row: Row) -> str:
        peak = result.peak.get(row.dtype)
        return f"{100 * gflops(w, row) / peak:.0f}" if peak else "—"

    def memory(w: WorkloadResult, row: Row) -> str:
        return "—" if row.memory is None else f"{row.memory / 2**20:.1f}"

    return [("% of peak", share), ("peak memory MiB", memory)]


def markdown(result: BenchResult) -> str:
    """The results as markdown: machine, one table per workload, the targets."""
    lines = [
        "## Speed: twolayer against the seed's loop and the libraries a user would pick instead",
        "",
        f"Measured {result.settings['date']} with `python benchmarks/speed.py` "
        f"({result.settings['rounds']} rounds, medians); the method is in "
        "[performance.md](performance.md). Ratios are side by side in one run; on a shared "
        "machine (see the load averages) rerun `python benchmarks/speed.py` to confirm them.",
        "",
    ]
    lines += [f"- **{key}**: {value}" for key, value in result.machine.items()]
    peaks = ", ".join(f"{d} {v:.1f} GFLOP/s" for d, v in result.peak.items())
    lines += [
        f"- **matrix-multiply peak** (best of 3 square products of size "
        f"{result.settings['peak_size']}, median over rounds): {peaks}",
        "",
    ]
    columns = extra_columns(result)
    lines += [table(w, columns) for w in result.workloads]
    lines += ["### Targets", "", "| target | figure | met |", "|---|---|---|"]
    for t in targets(result):
        verdict = "not measured" if t.met is None else ("met" if t.met else "**not met**")
        lines.append(f"| {t.text} | {t.figure} | {verdict} |")
    return "\n".join(lines) + "\n"


def section_file_text(path: Path) -> str:
    """The text of the markdown file ``path`` (a ``# Benchmarks`` title when it is absent); a
    file that is not UTF-8 text, or not a regular file, is a DataError."""
    if not path.exists():
        return "# Benchmarks\n"
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"{path}: not UTF-8 text (byte {exc.start}); refusing to rewrite it"
        raise DataError(message) from None


def write_section(path: Path, text: str, section: str = SECTION) -> None:
    """Replace what lies between the markers of ``section`` in ``path`` with ``text``.

    A missing file is created with a ``# Benchmarks`` title; missing markers are appended; the
    rest of an existing file (the other sections) is kept as it is.  The file is replaced
    atomically.
    """
    start, end = markers(section)
    current = section_file_text(path)
    if start not in current or end not in current:
        current = current.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = current.split(start, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{start}\n{text.rstrip()}\n{end}{tail}"
    atomic_write(path, lambda f: f.write(updated.encode()))


DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def section_parser(
    description: str, rounds: int, workloads: str | None = None
) -> argparse.ArgumentParser:
    """The options of a script that prints one section of docs/benchmarks.md: ``--rounds``,
    ``--workloads`` (when ``workloads``, its default, is given), ``--write`` (write the section
    into docs/benchmarks.md) and ``--markdown FILE`` (into FILE); without either it only
    prints.  An unknown workload is a usage error (:func:`workload_names`)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    if workloads is not None:
        parser.add_argument("--workloads", default=workloads)
    parser.add_argument("--write", action="store_true", help=f"write the section into {DOCS}")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write the section into FILE")
    return parser


def workload_names(parser: argparse.ArgumentParser, given: str, known: Any) -> list[str]:
    """The comma-separated workloads of ``--workloads``; one not in ``known`` stops the script
    with a usage error."""
    names = given.split(",")
    if unknown := [n for n in names if n not in known]:
        parser.error(f"unknown workload: {', '.join(unknown)}")
    return names


def publish(text: str, args: argparse.Namespace, section: str) -> None:
    """Print ``text`` and, with ``--markdown FILE`` or ``--write``, write it as ``section`` of
    FILE or of docs/benchmarks.md."""
    print(text)
    path = args.markdown or (DOCS if args.write else None)
    if path is not None:
        write_section(path, text, section)


def to_json(result: BenchResult) -> dict[str, Any]:
    """The raw results as JSON-ready data (every timing, not only medians)."""
    return {
        "machine": result.machine,
        "peak_gflops": result.peak,
        "settings": result.settings,
        "checks": result.checks,
        "workloads": [workload_json(w) for w in result.workloads],
        "targets": [vars(t) for t in targets(result)],
    }
