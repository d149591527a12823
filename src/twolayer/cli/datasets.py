"""``twolayer datasets``: the bundled datasets, listed or written out as CSV files to train on
(``twolayer datasets export diabetes diabetes.csv``, then
``twolayer train --data diabetes.csv``)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from twolayer.cli.options import add_command
from twolayer.data.csv import CSV_SUFFIXES, dataset_csv
from twolayer.data.datasets import BUNDLED, TABLES, load_dataset, table_file
from twolayer.errors import ConfigError
from twolayer.io.files import read_bytes
from twolayer.io.writing import atomic_write, check_writable


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers, "datasets", "List the bundled datasets, or export one as a CSV file."
    )
    parser.add_argument(
        "action", nargs="?", default="list", choices=tuple(ACTIONS),
        help="list (the default), or export NAME FILE",
    )  # fmt: skip
    parser.add_argument("name", nargs="?", help="export: diabetes, digits, linnerud or penguins")
    parser.add_argument("file", nargs="?", metavar="FILE.csv", help="export: where to write it")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return ACTIONS[args.action](args)


def list_action(args: argparse.Namespace) -> int:
    """``twolayer datasets [list]``."""

    if args.name or args.file:
        raise ConfigError("datasets list takes no NAME or FILE")
    print(listing())
    return 0


def export_action(args: argparse.Namespace) -> int:
    """``twolayer datasets export NAME FILE``."""

    names = [d.name for d in BUNDLED]
    if not args.name or not args.file:
        raise ConfigError("datasets export needs a NAME and a FILE, e.g. diabetes diabetes.csv")
    if args.name not in names:
        bundled = ", ".join(names)
        raise ConfigError(f"unknown dataset {args.name!r}; the bundled ones are: {bundled}")
    return export(args.name, args.file)


def listing() -> str:
    """The bundled datasets as a table: name, task, samples, inputs and targets."""

    rows = [("name", "task", "samples", "inputs", "targets")]
    for d in BUNDLED:
        targets = ", ".join(d.targets)
        if d.classes:
            targets = f"{targets} ({d.classes} classes)"
        rows.append((d.name, d.task, str(d.samples), str(d.inputs), targets))
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    lines = []
    for row in rows:
        name, task, samples, inputs, targets = row
        lines.append(f"{name:<{widths[0]}}  {task:<{widths[1]}}  {samples:>{widths[2]}}  "
                     f"{inputs:>{widths[3]}}  {targets}")  # fmt: skip
    lines.append(
        "export one as CSV: twolayer datasets export NAME FILE.csv (penguins ships with "
        "twolayer, the others inside scikit-learn: pip install 'twolayer[data]')"
    )
    return "\n".join(lines)


def export(name: str, path: str) -> int:
    if not path.lower().endswith(CSV_SUFFIXES):
        raise ConfigError(f"{path}: the export is a CSV file; name it .csv")
    check_writable(path, "FILE")
    raw = table_file(name)
    if raw is not None:  # a raw table is written as it was published, every column and cell
        text = read_bytes(raw)
        target = f" --target {shlex.quote(TABLES[name][1])}"
        rows = len(load_dataset(name).x)
        shape = f"{rows} rows of raw cells (some missing), as published"
    else:
        data = load_dataset(name)
        text = dataset_csv(data).encode("utf-8")
        targets = len(data.target_names)
        last = ",".join(f"-{k}" for k in range(targets, 0, -1))  # the target columns come last
        target = f" --target {last}" if targets > 1 else ""
        shape = f"{data.n_samples} rows, {len(data.feature_names)} features, {targets} target "
        shape += "column(s)"
    atomic_write(path, lambda f: f.write(text))
    print(f"wrote {Path(path)}: {shape}; train with: twolayer train --data {path}{target}")
    return 0


ACTIONS = {"list": list_action, "export": export_action}
"""What ``twolayer datasets`` does, by its first word."""
