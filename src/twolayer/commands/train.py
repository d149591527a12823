"""``twolayer train``: every training option of :class:`~twolayer.config.TrainConfig` on the
command line, printing the seed-style ``iteration loss [val_loss]`` lines."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from twolayer.cli import add_command, finite_float, positive_float, positive_int
from twolayer.commands.seed import (
    add_backend_arguments,
    add_problem_arguments,
    add_solver_argument,
)

# (flag, TrainConfig field, argparse type, help); ranges are checked by TrainConfig itself.
OPTIONS: list[tuple[str, str, Any, str]] = [
    ("--momentum", "momentum", finite_float, "mass of momentum/nesterov (default 0.9)"),
    ("--beta1", "beta1", finite_float, "Adam's first-moment decay (default 0.9)"),
    ("--beta2", "beta2", finite_float, "Adam's second-moment decay (default 0.999)"),
    ("--epsilon", "epsilon", positive_float, "Adam's denominator guard (default 1e-8)"),
    ("--power-t", "power_t", finite_float, "invscaling exponent (default 0.5)"),
    (
        "--step-size",
        "step_size",
        positive_int,
        "step schedule: epochs between decays (default 100)",
    ),
    ("--gamma", "gamma", finite_float, "step schedule: decay factor (default 0.1)"),
    ("--lr-min", "lr_min", finite_float, "cosine's final rate, plateau's floor (default 0)"),
    (
        "--plateau-patience",
        "plateau_patience",
        positive_int,
        "plateau: epochs before a drop (default 10)",
    ),
    ("--plateau-factor", "plateau_factor", finite_float, "plateau: factor per drop (default 0.5)"),
    (
        "--batch-size",
        "batch_size",
        positive_int,
        "minibatch size (default: full batch, the seed's)",
    ),
    (
        "--validation-fraction",
        "validation_fraction",
        finite_float,
        "share held out for validation (default 0)",
    ),
    (
        "--patience",
        "patience",
        positive_int,
        "early stopping: epochs without progress (default 10)",
    ),
    (
        "--tol",
        "tol",
        finite_float,
        "early stopping: relative improvement that counts (default 1e-4)",
    ),
    (
        "--divergence-factor",
        "divergence_factor",
        positive_float,
        "stop when loss > this x first loss (default 1e8)",
    ),
]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from twolayer.activations import ACTIVATIONS
    from twolayer.losses import LOSSES
    from twolayer.model import INITS
    from twolayer.optim import OPTIMIZERS
    from twolayer.schedules import SCHEDULES

    parser = add_command(
        subparsers, "train", "Train a two-layer network and print 'iteration loss' lines."
    )
    add_data_arguments(parser)
    add_problem_arguments(parser)
    add_backend_arguments(parser, cluster=True)
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument(
        "--loss",
        choices=sorted(LOSSES),
        default=None,
        help="default: cross_entropy for a classification dataset, else sse (the seed's)",
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="gd")
    parser.add_argument("--schedule", choices=SCHEDULES, default="constant")
    parser.add_argument(
        "--init", choices=INITS, default="normal", help="normal (the seed's), he, glorot"
    )
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    add_solver_argument(parser)
    parser.add_argument("--bias", action="store_true", help="add biases b1, b2 (the seed has none)")
    parser.add_argument(
        "--early-stopping", action="store_true", help="stop on a stall, keep the best weights"
    )
    for flag, name, kind, help_text in OPTIONS:
        parser.add_argument(flag, dest=name, type=kind, default=None, help=help_text)
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    add_output_arguments(parser)
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace, task: str = "regression") -> Any:
    """The :class:`TrainConfig` the arguments describe (unset options keep their defaults)."""
    from twolayer.config import TrainConfig

    chosen = {
        name: getattr(args, name) for _, name, _, _ in OPTIONS if getattr(args, name) is not None
    }
    return TrainConfig(
        iterations=args.iterations,
        lr=args.lr,
        hidden=args.hidden,
        activation=args.activation,
        loss=args.loss or ("cross_entropy" if task == "classification" else "sse"),
        bias=args.bias,
        init=args.init,
        dtype=args.dtype,
        solver=args.solver,
        optimizer=args.optimizer,
        schedule=args.schedule,
        early_stopping=args.early_stopping,
        seed=args.seed,
        **chosen,
    )


# Options that come from the checkpoint when resuming (only --iterations may change: the total).
RESUME_FIXED = (
    "data", "target", "dataset", "test_fraction", "standardize", "n", "d_in", "d_out", "hidden",
    "lr", "seed", "activation", "loss", "optimizer", "schedule", "init", "dtype", "bias",
    "early_stopping", "solver", *(name for _, name, _, _ in OPTIONS),
)  # fmt: skip
INTERRUPT_CHECKPOINT = "twolayer-checkpoint.npz"  # where Ctrl-C saves a run that has no --out


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data | --dataset``, ``--target``, ``--test-fraction``, ``--standardize``."""
    from twolayer.data import DATASETS

    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        nargs="+",
        metavar="FILE",
        help="a CSV file, an .npz holding arrays x and y, or two .npy files (inputs, targets)",
    )
    source.add_argument(
        "--dataset",
        choices=sorted(DATASETS),
        default=None,
        help="digits, diabetes, linnerud (shipped with scikit-learn) or random: the seed's "
        "draws (the default)",
    )
    parser.add_argument(
        "--target",
        action="append",
        metavar="COLUMNS",
        help="CSV target columns by name or number (from 1; -1 is the last, the default); "
        "comma-separated or repeated",
    )
    parser.add_argument(
        "--test-fraction",
        type=finite_float,
        default=0.0,
        help="share of samples held out as a seeded test set (default 0)",
    )
    parser.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale inputs and regression targets to mean 0, std 1 with training statistics "
        "kept in the model (default: on, except for random)",
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out --checkpoint-every --resume --history --plot --json``."""
    parser.add_argument("--out", metavar="MODEL.npz", help="write the trained model here")
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="K",
        help="also save the model file (a resumable checkpoint) every K iterations",
    )
    parser.add_argument(
        "--resume", metavar="MODEL.npz", help="continue the run saved in a model file"
    )
    parser.add_argument("--history", metavar="FILE", help="one row per iteration: .csv or .jsonl")
    parser.add_argument("--plot", metavar="IMAGE", help="loss curves as .png, .svg or .pdf")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse bad output options before any work is done or any file is touched."""
    from twolayer.errors import ConfigError
    from twolayer.files import check_writable
    from twolayer.outputs.history import history_format
    from twolayer.outputs.plot import check_image_path, require_matplotlib

    if args.out:
        check_writable(args.out, "--out", (".npz",))
    if args.checkpoint_every and not (args.out or args.resume):
        raise ConfigError("--checkpoint-every needs --out: checkpoints are written to that file")
    if args.history:
        history_format(args.history)
        check_writable(args.history, "--history")
    if args.plot:
        check_image_path(args.plot)
        require_matplotlib()
        check_writable(args.plot, "--plot")


def source_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """What data the options name, as a description a model file can keep."""
    from twolayer.data import DATASETS
    from twolayer.errors import ConfigError

    name = args.dataset or ("random" if not args.data else None)
    misplaced = [
        f"--{dest.replace('_', '-')}"
        for dest in ("n", "d_in", "d_out")
        if name != "random" and getattr(args, dest) != args.subparser.get_default(dest)
    ]
    if misplaced:
        raise ConfigError(f"{', '.join(misplaced)} only size the random dataset")
    if args.target and not args.data:
        raise ConfigError("--target chooses columns of a --data file")
    source: dict[str, Any]
    if args.data:
        targets = [t for item in args.target or () for t in item.split(",") if t]
        task = "classification" if args.loss == "cross_entropy" else "regression"
        source = {"kind": "file", "paths": list(args.data), "target": targets or None,
                  "task": task}  # fmt: skip
    elif name == "random":
        source = {"kind": "random", "seed": args.seed, "n": args.n, "d_in": args.d_in,
                  "hidden": args.hidden, "d_out": args.d_out, "task": "regression"}  # fmt: skip
    else:
        source = {"kind": "dataset", "name": name, "task": DATASETS[str(name)]}
    standardize = args.standardize if args.standardize is not None else name != "random"
    return {**source, "test_fraction": args.test_fraction, "standardize": standardize}


def resumed_run(args: argparse.Namespace) -> Any:
    """The model file ``--resume`` names, checked to hold a run that can go on."""
    from twolayer.errors import ConfigError, ModelFileError
    from twolayer.outputs.modelfile_reader import load_model_file

    changed = [
        f"--{dest.replace('_', '-')}"
        for dest in RESUME_FIXED
        if getattr(args, dest) != args.subparser.get_default(dest)
    ]
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


def initial_params(seed_params: Any, config: Any) -> Any:
    """The seed's own standard-normal weights when ``init`` is the seed's (zero biases added),
    else None so ``train`` draws them."""
    import numpy as np

    from twolayer.model import Params

    if seed_params is None or config.init != "normal":
        return None
    params = seed_params
    if config.bias:
        hidden, d_out = params.w2.shape
        params = Params(params.w1, params.w2, np.zeros(hidden), np.zeros(d_out))
    return params.map(lambda p: p.astype(config.dtype))


def run(args: argparse.Namespace) -> int:
    import contextlib
    import sys
    import time

    from twolayer.data import fit_preprocessing, load_source
    from twolayer.errors import DataError, ModelFileError
    from twolayer.outputs.callbacks import (
        Checkpoint,
        HistoryLog,
        PrintLosses,
        ProgressBar,
        StopOnInterrupt,
        around_bar,
        wants_bar,
    )
    from twolayer.outputs.trained import Model

    if (chunks := check_backend(args)) is not None:
        return run_chunked(args, chunks)
    check_outputs(args)
    saved = resumed_run(args) if args.resume else None
    source = saved.model.source if saved else source_from_args(args)
    try:
        dataset, seed_params = load_source(source)
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"{args.resume}: the data source is invalid ({exc})") from None
    if saved is None:
        source["fingerprint"] = dataset.fingerprint()
        if source["kind"] == "file":  # kept absolute, so a resume works from anywhere
            source["paths"] = [str(Path(p).resolve()) for p in source["paths"]]
        config = config_from_args(args, dataset.task)
    else:
        if dataset.fingerprint() != source.get("fingerprint"):
            raise DataError(f"{args.resume}: the training data changed since it was saved")
        config = saved.model.config
        if args.iterations != args.subparser.get_default("iterations"):
            config = config.replace(iterations=args.iterations)
    train_set, test_set = dataset.split(source["test_fraction"], config.seed)
    prep = saved.model.preprocessing if saved else fit_preprocessing(
        train_set.x, train_set.targets(), dataset.task, standardize=source["standardize"]
    )  # fmt: skip

    def make_model(params: Any, summary: dict[str, Any]) -> Model:
        return Model(params, config.activation, config.loss, prep, config,
                     dataset.feature_names, dataset.target_names, summary, source)  # fmt: skip

    out = args.out or args.resume
    log = HistoryLog(saved.history if saved else ())
    saver = Checkpoint(out or INTERRUPT_CHECKPOINT, make_model, log, args.checkpoint_every)
    stop = StopOnInterrupt()
    bar = wants_bar(sys.stderr, quiet=args.quiet)
    printer = PrintLosses(around_bar(sys.stdout) if bar else None, quiet=args.quiet)
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        callbacks: list[Any] = [printer, log, saver, stack.enter_context(stop.catching())]
        if bar:
            done = saved.state.iteration if saved else 0
            callbacks.append(stack.enter_context(ProgressBar(config.iterations, initial=done)))
        result = train_on_backend(
            args, prep.inputs(train_set.x), prep.targets(train_set.targets()), config,
            None if saved else initial_params(seed_params, config),
            callbacks=callbacks, state=saved.state if saved else None,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    if stop.requested:
        saver.save(result.state, stop_reason="interrupted")
        write_logs(args, log.rows)
        print(
            f"{args.subparser.prog}: interrupted after iteration {result.state.iteration - 1}; "
            f"checkpoint saved to {saver.path}; continue with: twolayer train --resume "
            f"{saver.path}",
            file=sys.stderr,
        )
        return 130
    if out:
        model = saver.save(result.state, stop_reason=result.stop_reason)
    else:
        model = make_model(result.params, {})
    write_logs(args, log.rows)
    report(args, model, result, train_set, test_set, source, seconds, out)
    return 0


def write_logs(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """The ``--history`` file and the ``--plot`` image, when asked for."""
    from twolayer.outputs.history import write_history
    from twolayer.outputs.plot import plot_history

    if args.history:
        write_history(rows, args.history)
    if args.plot:
        plot_history(rows, args.plot)


def report(
    args: argparse.Namespace,
    model: Any,
    result: Any,
    train_set: Any,
    test_set: Any,
    source: dict[str, Any],
    seconds: float,
    out: str | None,
) -> None:
    """Metrics on the training, validation and test sets: printed lines (except on the seed's
    random draws, whose output stays the seed's), and with ``--json`` one JSON line."""
    import json
    import math

    from twolayer.data.prep import validation_split
    from twolayer.outputs.metrics import format_metrics, score

    config = model.config
    sets = {"train": train_set}
    if config.validation_fraction > 0:
        fit_idx, val_idx = validation_split(
            train_set.n_samples, config.validation_fraction, config.seed
        )
        sets = {"train": train_set.subset(fit_idx), "validation": train_set.subset(val_idx)}
    if test_set is not None:
        sets["test"] = test_set
    metrics = {name: score(model.task, s.y, model.predict(s.x)) for name, s in sets.items()}
    if source["kind"] != "random":
        for name, values in metrics.items():
            print(format_metrics(name, values))
    if args.json:
        last = result.history[-1] if result.history else None

        def finite(v: float | None) -> float | None:
            return v if v is not None and math.isfinite(v) else None

        summary = {
            "iterations": result.state.iteration,
            "iterations_run": len(result.history),
            "stop_reason": result.stop_reason,
            "final_loss": finite(last.loss) if last else None,
            "final_val_loss": finite(last.val_loss) if last else None,
            "seconds": seconds,
            "metrics": metrics,
            "model": out,
        }
        print(json.dumps(summary))


# --- array backends (docs/backends.md) ----------------------------------------------------------


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
    if on.name != "dask" or len(args.data) != 1:
        raise ConfigError(
            f"{chunked[0]}: a directory of .npy chunks or a Zarr store is read lazily by "
            "--backend dask, as the only --data"
        )
    return chunked[0]


def train_on_backend(
    args: argparse.Namespace, x: Any, y: Any, config: Any, params: Any, **options: Any
) -> Any:
    """:func:`twolayer.train.train` on ``--backend`` and ``--device``: the NumPy arrays moved
    there first (for dask, into the cluster of ``--scheduler`` or a local one started for the
    run), the result brought back as NumPy arrays."""
    import contextlib

    from twolayer.backend import get_backend
    from twolayer.train import train

    on = get_backend(args.backend, args.device)
    if on.name == "numpy":
        return train(x, y, config, params, **options)
    state = options.pop("state", None)
    with contextlib.ExitStack() as stack:
        if on.name == "dask":
            from twolayer.engines.dask import cluster

            stack.enter_context(cluster(args.scheduler))
        result = train(
            on.data(x), on.data(y), config, on.params(params),
            state=None if state is None else state.map_arrays(on.asarray), **options,
        )  # fmt: skip
    return result.to_numpy()


def run_chunked(args: argparse.Namespace, path: str) -> int:
    """Train on a directory of .npy chunks or a Zarr store, read lazily by the workers of a
    Dask cluster; print the loss lines and write what ``--out``, ``--history``, ``--plot`` and
    ``--json`` ask for."""
    import json
    import time

    from twolayer.data.chunks import open_data
    from twolayer.distributed import train_on_cluster
    from twolayer.errors import ConfigError
    from twolayer.outputs.callbacks import HistoryLog, PrintLosses
    from twolayer.outputs.history import summarize
    from twolayer.outputs.modelfile import save_model
    from twolayer.outputs.trained import Model

    in_memory = {"--target": args.target, "--test-fraction": args.test_fraction,
                 "--standardize": args.standardize, "--resume": args.resume,
                 "--checkpoint-every": args.checkpoint_every}  # fmt: skip
    refused = [flag for flag, value in in_memory.items() if value]
    if refused:
        raise ConfigError(f"{', '.join(refused)}: not available for chunked data, read as it is")
    check_outputs(args)
    config = config_from_args(args)
    if config.loss == "cross_entropy":
        raise ConfigError("chunked data hold regression targets: use sse, mse or half_mse")
    x, y = open_data(path)
    log = HistoryLog()
    start = time.perf_counter()
    result = train_on_cluster(
        (x, y), config, scheduler=args.scheduler, callbacks=[PrintLosses(quiet=args.quiet), log]
    )
    seconds = time.perf_counter() - start
    if args.out:
        where = path if "://" in path else str(Path(path).resolve())
        source = {"kind": "chunks", "path": where, "task": "regression",
                  "test_fraction": 0.0, "standardize": False}  # fmt: skip
        summary = summarize(log.rows, stop_reason=result.stop_reason)
        model = Model(result.params, config.activation, config.loss, config=config,
                      summary=summary, source=source)  # fmt: skip
        save_model(args.out, model)
    write_logs(args, log.rows)
    if args.json:
        last = result.history[-1] if result.history else None
        print(json.dumps({"iterations": result.state.iteration, "stop_reason": result.stop_reason,
                          "final_loss": last.loss if last else None, "seconds": seconds,
                          "model": args.out}))  # fmt: skip
    return 0
