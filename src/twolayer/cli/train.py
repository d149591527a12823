"""``twolayer train``: every training option of :class:`~twolayer.config.TrainConfig` on the
command line, printing the seed-style ``iteration loss [val_loss]`` lines.

This module reads the options (what data, which configuration, which files), reads the data and
builds the configuration from its sizes; the session itself is :func:`twolayer.run.run`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twolayer.cli.options import (
    RESUME_FIXED,
    add_backend_arguments,
    add_command,
    add_config_arguments,
    add_data_arguments,
    add_output_arguments,
    add_problem_arguments,
    check_problem_size,
    config_from_args,
)
from twolayer.cli.types import nonempty


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers, "train", "Train a two-layer network and print 'iteration loss' lines."
    )
    add_training_arguments(parser)
    add_backend_arguments(parser, cluster=True)
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    parser.add_argument(
        "--diagnose", action="store_true",
        help="end with the training doctor's findings on stderr: update sizes, dead or "
        "saturated units, gradient trend, plateau, oscillation, overfitting",
    )  # fmt: skip
    add_output_arguments(parser)
    parser.set_defaults(handler=run)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The data and every training option, shared with ``twolayer lr-find``: a flag for each
    field of :class:`~twolayer.config.TrainConfig`, made from its declaration."""
    add_data_arguments(parser)
    add_problem_arguments(parser, recipes=True)
    add_config_arguments(parser)
    parser.add_argument(
        "--sample-weight", type=nonempty, metavar="COLUMN",
        help="a CSV column (name or number) or .npz array of sample weights: each sample "
        "counts that many times",
    )  # fmt: skip


def source_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """What data the options name, as a description a model file can keep."""
    from twolayer.data.datasets import DATASETS
    from twolayer.data.sources import TASK_WORDS
    from twolayer.errors import ConfigError

    name = args.dataset or ("random" if not args.data else None)
    misplaced = [
        f"--{dest.replace('_', '-')}"
        for dest in ("n", "d_in", "d_out")
        if name != "random" and dest in args.given
    ]
    if misplaced:
        raise ConfigError(f"{', '.join(misplaced)} only size the random dataset")
    if args.target and not args.data:
        raise ConfigError("--target chooses columns of a --data file")
    if args.sample_weight and not args.data:
        raise ConfigError("--sample-weight names a column of a --data file")
    table = {key: _listed(getattr(args, key)) for key in ("features", "ignore", "categorical",
                                                          "na_values")}  # fmt: skip
    if not args.data and (any(table.values()) or args.task):
        raise ConfigError("--features, --ignore, --categorical, --na-values and --task read "
                          "a --data file")  # fmt: skip
    source: dict[str, Any]
    if args.data:
        targets = _listed(args.target)
        tasks = {"cross_entropy": "classification", "binary_cross_entropy": "multilabel",
                 "sse": "regression", "mse": "regression", "half_mse": "regression",
                 **TASK_WORDS}  # fmt: skip
        task = tasks.get(args.task or args.loss)
        if args.task and args.loss and tasks[args.loss] != task:
            raise ConfigError(f"--loss {args.loss} does not train a --task {args.task}")
        source = {"kind": "file", "paths": list(args.data), "target": targets or None,
                  "task": task, **{k: v for k, v in table.items() if v}}  # fmt: skip
        if args.sample_weight:
            source["sample_weight"] = args.sample_weight
    elif name == "random":
        check_problem_size(args)
        source = {"kind": "random", "seed": args.seed, "n": args.n, "d_in": args.d_in,
                  "hidden": args.hidden, "d_out": args.d_out, "task": "regression"}  # fmt: skip
    else:
        source = {"kind": "dataset", "name": name, "task": DATASETS[str(name)]}
    standardize = args.standardize if args.standardize is not None else name != "random"
    return {**source, "test_fraction": args.test_fraction, "standardize": standardize}


def _listed(values: list[str] | None) -> list[str]:
    """Repeated options of comma-separated names, as one list: ``--x a,b --x c`` -> a, b, c."""
    return [v for item in values or () for v in item.split(",") if v]


def resumed_run(args: argparse.Namespace) -> Any:
    """The model file ``--resume`` names, checked to hold a run that can go on."""
    from twolayer.errors import ConfigError, ModelFileError
    from twolayer.outputs.modelfile_reader import load_model_file

    changed = [f"--{dest.replace('_', '-')}" for dest in RESUME_FIXED if dest in args.given]
    if changed:
        raise ConfigError(
            "--resume continues the saved run with its own data and settings; "
            f"leave out {', '.join(changed)}"
        )
    saved = load_model_file(args.resume)
    if saved.state is None or saved.model.config is None or saved.model.source is None:
        raise ModelFileError(
            f"{args.resume}: holds no training state to continue (not written by twolayer train)"
        )
    return saved


def check_backend(args: argparse.Namespace) -> str | None:
    """Refuse backend options that do not go together, before any work; return the chunk
    directory or Zarr store that ``--data`` names for the dask backend, if it names one."""
    from twolayer.backend import get_backend
    from twolayer.errors import ConfigError

    on = get_backend(args.backend, args.device)
    on.check()
    if args.scheduler and on.name != "dask":
        raise ConfigError("--scheduler chooses the cluster of --backend dask")
    if on.device == "cuda" and args.checkpoint_every:
        raise ConfigError("--checkpoint-every saves from host memory: leave it out with cuda")
    chunked = [str(p) for p in args.data or () if Path(p).is_dir() or "://" in p]
    if not chunked:
        return None
    if on.name != "dask" and Path(chunked[0]).is_dir():
        raise ConfigError(
            f"{chunked[0]}: is a directory; --data takes files (a directory of .npy chunks is "
            "read by --backend dask)"
        )
    if on.name != "dask" or len(args.data) != 1:
        raise ConfigError(
            f"{chunked[0]}: a directory of .npy chunks or a Zarr store is read lazily by "
            "--backend dask, as the only --data"
        )
    return chunked[0]


def chunked_source(args: argparse.Namespace, path: str) -> dict[str, Any]:
    """The source of a directory of .npy chunks or a Zarr store, read as it is by Dask."""
    from twolayer.errors import ConfigError

    in_memory = {"--target": args.target, "--test-fraction": args.test_fraction,
                 "--sample-weight": args.sample_weight,
                 "--standardize": args.standardize, "--resume": args.resume,
                 "--checkpoint-every": args.checkpoint_every}  # fmt: skip
    refused = [flag for flag, value in in_memory.items() if value]
    if refused:
        raise ConfigError(f"{', '.join(refused)}: not available for chunked data, read as it is")
    if args.loss == "cross_entropy":
        raise ConfigError("chunked data hold regression targets: use sse, mse or half_mse")
    where = path if "://" in path else str(Path(path).resolve())
    return {"kind": "chunks", "path": where, "task": "regression", "test_fraction": 0.0,
            "standardize": False}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from twolayer.run import Session, check_session, read_data, resumed_config
    from twolayer.run import run as run_session

    chunks = check_backend(args)
    saved = resumed_run(args) if args.resume else None
    if saved is not None:
        assert saved.model.source is not None
        source = saved.model.source
    elif chunks is not None:
        source = chunked_source(args, chunks)
    else:
        source = source_from_args(args)
    given = "iterations" in args.given
    session = Session(
        source, saved, args.resume,
        iterations=args.iterations if saved and given else None, backend=args.backend,
        device=args.device, scheduler=args.scheduler, out=args.out,
        checkpoint_every=args.checkpoint_every, history=args.history, plot=args.plot,
        save_split=args.save_split, diagnose=args.diagnose,
        json=args.json, quiet=args.quiet, prog=args.subparser.prog,
    )  # fmt: skip
    check_session(session)  # before any data are read
    data = read_data(session)
    config = resumed_config(session) if saved else config_from_args(
        args, *data.sizes, recipe=chunks is None
    )  # fmt: skip
    return run_session(session, data, config)
