"""``twolayer datasets``: the bundled datasets, listed or written out as CSV files to train on
(``twolayer datasets export diabetes diabetes.csv``, then
``twolayer train --data diabetes.csv``)."""

from __future__ import annotations

import argparse

from twolayer.cli.options import add_command


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers, "datasets", "List the bundled datasets, or export one as a CSV file."
    )
    parser.add_argument("action", choices=("list", "export"), help="list, or export NAME FILE")
    parser.add_argument("name", nargs="?", help="export: digits, diabetes or linnerud")
    parser.add_argument("file", nargs="?", metavar="FILE.csv", help="export: where to write it")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from twolayer.data.datasets import DATASETS
    from twolayer.errors import ConfigError

    bundled = sorted(name for name in DATASETS if name != "random")
    if args.action == "list":
        if args.name or args.file:
            raise ConfigError("datasets list takes no NAME or FILE")
        for name in bundled:
            print(f"{name}\t{DATASETS[name]}")
        return 0
    if not args.name or not args.file:
        raise ConfigError("datasets export needs a NAME and a FILE, e.g. diabetes diabetes.csv")
    if args.name not in bundled:
        raise ConfigError(
            f"unknown dataset {args.name!r}; the bundled ones are: {', '.join(bundled)}"
        )
    return export(args.name, args.file)


def export(name: str, path: str) -> int:
    from pathlib import Path

    from twolayer.data.csv import CSV_SUFFIXES, dataset_csv
    from twolayer.data.datasets import load_dataset
    from twolayer.errors import ConfigError
    from twolayer.writing import atomic_write, check_writable

    if not path.lower().endswith(CSV_SUFFIXES):
        raise ConfigError(f"{path}: the export is a CSV file; name it .csv")
    check_writable(path, "FILE")
    data = load_dataset(name)
    text = dataset_csv(data).encode("utf-8")
    atomic_write(path, lambda f: f.write(text))
    label = " --loss cross_entropy" if data.task == "classification" else ""
    targets = len(data.target_names)
    last = ",".join(f"-{k}" for k in range(targets, 0, -1))  # the target columns come last
    target = f" --target {last}" if targets > 1 else ""
    shape = f"{data.n_samples} rows, {len(data.feature_names)} features, {targets} target column(s)"
    print(f"wrote {Path(path)}: {shape}; train with: twolayer train --data {path}{target}{label}")
    return 0
