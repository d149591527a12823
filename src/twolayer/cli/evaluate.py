"""``twolayer evaluate``: a saved model's metrics on data with known targets."""

from __future__ import annotations

import argparse

from twolayer.cli.options import add_command
from twolayer.cli.predict import add_model_arguments


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "evaluate",
        "Score a model file on data with targets: MSE, RMSE and R² for regression, accuracy "
        "for classification.",
    )
    add_model_arguments(parser)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from twolayer.cli.predict import target_columns
    from twolayer.data.datasets import load_file
    from twolayer.errors import DataError
    from twolayer.metrics import format_metrics, score
    from twolayer.outputs.modelfile_reader import load_model

    model = load_model(args.model)
    data = load_file(args.data, target_columns(args, model), task=model.task)  # type: ignore[arg-type]
    if data.x.shape[1] != model.n_features:
        raise DataError(
            f"{data.name}: has {data.x.shape[1]} input columns; the model expects "
            f"{model.n_features}"
        )
    assert data.y is not None
    d_out = model.params.sizes[2]
    if model.task == "regression" and data.y.shape[1] != d_out:
        raise DataError(f"{data.name}: has {data.y.shape[1]} targets; the model predicts {d_out}")
    metrics = score(model.task, data.y, model.predict(data.x))
    print(format_metrics(data.name, metrics))
    if args.json:
        print(json.dumps({"samples": data.n_samples, "metrics": metrics}))
    return 0
