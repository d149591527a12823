"""``twolayer predict``: a saved model's predictions for new data, as CSV."""

from __future__ import annotations

import argparse
from typing import Any

from twolayer.cli.options import add_command, file_path


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
        "--out", type=file_path, metavar="FILE.csv", help="write the predictions here"
    )
    parser.set_defaults(handler=run)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--data`` and ``--target``, shared with ``evaluate``."""
    parser.add_argument(
        "--model", type=file_path, required=True, metavar="MODEL.npz", help="the model file"
    )
    parser.add_argument(
        "--data",
        type=file_path,
        required=True,
        nargs="+",
        metavar="FILE",
        help="a CSV file, an .npz holding x (and y), or .npy files (inputs, targets)",
    )
    parser.add_argument(
        "--target",
        action="append",
        metavar="COLUMNS",
        help="CSV target columns by name or number (default: the model's own)",
    )


def target_columns(args: argparse.Namespace, model: Any) -> list[str] | None:
    """The CSV target columns the options name, else those the model was trained with."""
    chosen = [t for item in args.target or () for t in item.split(",") if t]
    if chosen:
        return chosen
    source = model.source or {}
    saved = source.get("target") if source.get("kind") == "file" else None
    from twolayer.data.csv import CSV_SUFFIXES

    csv_data = all(str(p).lower().endswith(CSV_SUFFIXES) for p in args.data)
    if not csv_data:  # .npy and .npz data hold x and y: the model's CSV columns do not apply
        return None
    return [str(t) for t in saved] if isinstance(saved, list) else None


def predictions_text(model: Any, x: Any, *, proba: bool = False) -> str:
    """CSV of the predictions for ``x`` (N, D_in): one column per target, or ``label`` (and
    ``p_<class>`` columns with ``proba``) for classification.  Floats are written exactly."""
    import csv
    import io

    import numpy as np

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    predicted = model.predict(x)
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
    import sys

    from twolayer.data.datasets import load_inputs
    from twolayer.errors import ConfigError
    from twolayer.outputs.modelfile_reader import load_model
    from twolayer.writing import atomic_write, check_distinct, check_writable

    if args.out:
        check_writable(args.out, "--out", (".csv",))
        inputs = [("--model", args.model), *(("--data", p) for p in args.data)]
        check_distinct(inputs, [("--out", args.out)])
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise ConfigError("--proba needs a classification model")
    data = load_inputs(args.data, model.n_features, target_columns(args, model))
    text = predictions_text(model, data.x, proba=args.proba)
    if args.out:
        atomic_write(args.out, lambda f: f.write(text.encode()))
    else:
        sys.stdout.write(text)
    return 0
