"""``twolayer evaluate``: a saved model's metrics on data with known targets, or on the rows
its training run held out (``--split test``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

import numpy as np

from twolayer.cli.options import add_command
from twolayer.cli.predict import add_model_arguments, listed, model_data, print_notes
from twolayer.cli.types import column_list
from twolayer.data.prep import PARTS
from twolayer.data.sources import load_source
from twolayer.errors import ConfigError, DataError
from twolayer.nn.metrics import format_metrics, score


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "evaluate",
        "Score a model file on data with targets: MSE, RMSE and R² for regression, accuracy "
        "for classification.",
    )
    add_model_arguments(parser, required=False)
    parser.add_argument(
        "--target", action="append", type=column_list, metavar="COLUMNS",
        help="the file's target columns, by name (default: those the model was trained on)",
    )  # fmt: skip
    parser.add_argument(
        "--split", choices=PARTS, default=None,
        help="instead of --data: the rows the training run kept for training, or held out as "
        "its test set (--test-fraction), read again from its data, which must be unchanged",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.set_defaults(handler=run)


def recorded_split(model: Any, path: str, which: str) -> Any:
    """The rows a model's training run used for ``which`` (train or test), from the data its
    file records; a DataError when the data changed since."""

    source, config = model.source, model.config
    if not source or config is None or source.get("kind") not in ("file", "dataset"):
        raise ConfigError(f"--split: {path} records no data file or dataset it was trained on")
    if not source.get("test_fraction"):
        raise ConfigError(f"--split: {path} was trained without --test-fraction: no rows were "
                          "held out")  # fmt: skip
    dataset, _ = load_source(dict(source))
    if source.get("fingerprint") not in (None, dataset.fingerprint()):
        raise DataError(f"--split: the data {path} was trained on changed since")
    chosen = dict(zip(PARTS, dataset.split(source["test_fraction"], config.seed), strict=True))[
        which
    ]
    assert chosen is not None
    return dataclasses.replace(chosen, notes=())  # how its columns were read: said in training


def run(args: argparse.Namespace) -> int:
    from twolayer.outputs.modelfile_reader import load_model

    if (args.data is None) == (args.split is None):
        raise ConfigError("give the data to score (--data FILE) or a recorded split (--split)")
    model = load_model(args.model)
    prog = args.subparser.prog
    if args.split:
        data = recorded_split(model, args.model, args.split)
        name = f"{args.split} rows of {data.name}"
    else:
        targets = listed(args.target) or list(model.target_names)
        if not targets:
            raise ConfigError(f"{args.model} names no target columns; give them with --target")
        data, _ = model_data(model, args.data, targets=targets)
        name = data.name
    if data.y is None:
        raise DataError(f"{data.name}: holds no targets")
    d_out = model.params.sizes[2]
    if model.task == "regression" and data.y.shape[1] != d_out:
        raise DataError(f"{data.name}: has {data.y.shape[1]} targets; the model predicts {d_out}")
    notes: list[str] = list(data.notes)
    predicted = model.predict(data.x, notes)
    if model.task == "classification":
        classes = model.preprocessing.classes
        unseen = ~np.isin(data.y, np.asarray(classes))
        if unseen.any():
            shown = ", ".join(repr(v) for v in np.unique(data.y[unseen]).tolist()[:5])
            notes.append(f"{int(unseen.sum())} row(s) have labels the model never saw ({shown}); "
                         "they count as wrong")  # fmt: skip
    print_notes(prog, name, notes)
    metrics = score(model.task, data.y, predicted, data.weight)
    print(format_metrics(name, metrics))
    if args.json:
        print(json.dumps({"samples": data.n_samples, "metrics": metrics}))
    return 0
