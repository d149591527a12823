"""``twolayer predict``: a saved model's predictions for new data, as CSV."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from twolayer.cli.options import add_command
from twolayer.cli.types import column_list, data_path, file_path
from twolayer.data.datasets import load_inputs
from twolayer.errors import ConfigError
from twolayer.io.writing import atomic_write, check_distinct, check_writable


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "predict",
        "Predict with a model file written by 'twolayer train --out'; print CSV, or write it "
        "to --out.",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--proba", action="store_true", help="classification: add one probability column a class"
    )
    parser.add_argument(
        "--keep", action="append", type=column_list, metavar="COLUMNS",
        help="CSV columns to copy beside the predictions (an id, a name); comma-separated or "
        "repeated",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=file_path, metavar="FILE.csv", help="write the predictions here"
    )
    parser.set_defaults(handler=run)


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--model`` and ``--data``, shared with ``evaluate``."""
    parser.add_argument(
        "--model", type=file_path, required=True, metavar="MODEL.npz", help="the model file"
    )
    parser.add_argument(
        "--data",
        type=data_path,
        required=required,
        nargs="+",
        metavar="FILE",
        help="a CSV file whose columns are matched to the model's by name (in any order; "
        "others are ignored), an .npz holding x (and y), or .npy files (inputs, targets)",
    )


def listed(values: list[str] | None) -> list[str]:
    """Repeated options of comma-separated names, as one list: ``--x a,b --x c`` -> a, b, c."""
    return [v for item in values or () for v in item.split(",") if v]


def model_data(
    model: Any, paths: list[str], *, targets: list[str] | None = None, keep: Sequence[str] = ()
) -> tuple[Any, Any]:
    """The data of ``paths`` for ``model``: its input columns matched by name, and with
    ``targets`` (default: none) the target columns; the ``keep`` columns' cells.  Notes about
    the file (columns ignored, rows without targets) are printed on stderr."""

    encoding = model.preprocessing.encoding
    data, kept = load_inputs(
        paths, model.input_names, targets or (), encoded=encoding is not None,
        missing=encoding.missing if encoding is not None else frozenset(), task=model.task,
        keep=keep,
    )  # fmt: skip
    return data, kept


def print_notes(prog: str, name: str, notes: Any) -> None:
    for note in notes:
        print(f"{prog}: {name}: {note}", file=sys.stderr)


def predictions_text(
    model: Any, x: Any, *, proba: bool = False, kept: Any = None, notes: list[str] | None = None,
) -> str:  # fmt: skip
    """CSV of the predictions for ``x`` (N, D_in): one column per target, or ``label`` (and
    ``p_<class>`` columns with ``proba``) for classification, after the ``kept`` columns
    (their names, and their cells (N, K)).  Floats are written exactly."""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    predicted = model.predict(x, notes)
    if model.task == "classification":
        classes = model.preprocessing.classes
        header = ["label"] + ([f"p_{c}" for c in classes.tolist()] if proba else [])
        columns: list[Any] = [predicted.reshape(-1, 1)]
        if proba:
            columns.append(model.predict_proba(x))
        table = np.concatenate([np.asarray(c, dtype=object) for c in columns], axis=1)
    else:
        n_out = predicted.shape[1]
        names = list(model.target_names)
        header = names if len(names) == n_out else [f"y{j + 1}" for j in range(n_out)]
        table = np.asarray(predicted, dtype=object)
    if kept is not None:
        header = [*kept[0], *header]
        table = np.concatenate([np.asarray(kept[1], dtype=object), table], axis=1)
    writer.writerow([spreadsheet_safe(str(h)) for h in header])
    for row in table.tolist():
        writer.writerow(
            [repr(v) if isinstance(v, float) else spreadsheet_safe(str(v)) for v in row]
        )
    return out.getvalue()


def spreadsheet_safe(text: str) -> str:
    """A text cell that a spreadsheet will not run: one starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return (a formula, such as ``=HYPERLINK(...)``) gets a leading
    ``'``; numbers (``-1.5``) are left alone."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def run(args: argparse.Namespace) -> int:
    from twolayer.outputs.modelfile_reader import load_model

    if args.out:
        check_writable(args.out, "--out", (".csv",))
        inputs = [("--model", args.model), *(("--data", p) for p in args.data)]
        check_distinct(inputs, [("--out", args.out)])
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise ConfigError("--proba needs a classification model")
    keep = listed(args.keep)
    data, kept = model_data(model, args.data, keep=keep)
    notes: list[str] = list(data.notes)
    text = predictions_text(model, data.x, proba=args.proba, kept=kept, notes=notes)
    print_notes(args.subparser.prog, data.name, notes)
    if args.out:
        atomic_write(args.out, lambda f: f.write(text.encode()))
    else:
        sys.stdout.write(text)
    return 0
