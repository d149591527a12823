"""What the subcommands share: their common option groups, and the table of training options
that becomes :class:`~twolayer.config.TrainConfig` fields (the argparse types of the values are
in :mod:`twolayer.cli.types`)."""

from __future__ import annotations

import argparse
from typing import Any

from twolayer.cli.types import (
    column_list,
    data_path,
    file_path,
    finite_float,
    folder_path,
    non_negative_int,
    nonempty,
    positive_float,
    positive_int,
    seed_value,
)


def add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """Create a subcommand's parser; it remembers itself so errors can print its usage."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(subparser=parser)
    return parser


def add_problem_arguments(parser: argparse.ArgumentParser, *, recipes: bool = False) -> None:
    """``--seed --n --d-in --hidden --d-out --iterations --lr``, defaulting to the seed's values
    (with ``recipes``, ``--iterations`` and ``--lr`` default by the data: see
    :func:`config_from_args`)."""
    parser.add_argument(
        "--seed", type=seed_value, default=0, help="draw as np.random.seed(S) would (default 0)"
    )
    parser.add_argument("--n", type=positive_int, default=64, help="samples N (default 64)")
    parser.add_argument(
        "--d-in", type=positive_int, default=1000, help="input size D_in (default 1000)"
    )
    parser.add_argument(
        "--hidden", type=positive_int, default=100, help="hidden units H (default 100)"
    )
    parser.add_argument(
        "--d-out", type=positive_int, default=10, help="output size D_out (default 10)"
    )
    by_data = " on the seed's data, {} on real data" if recipes else ""
    parser.add_argument(
        "--iterations", type=non_negative_int, default=None if recipes else 500,
        help=f"epochs (default 500{by_data.format(1000)})",
    )  # fmt: skip
    parser.add_argument(
        "--lr", type=positive_float, default=None if recipes else 1e-6,
        help=f"learning rate (default 1e-6{by_data.format('1e-3')})",
    )  # fmt: skip


def check_problem_size(args: argparse.Namespace) -> None:
    """Refuse ``--n --d-in --hidden --d-out`` whose data and training cannot fit in memory,
    naming the options, before anything is drawn."""
    from twolayer.io.memory import check_network

    names = ("n", "d_in", "hidden", "d_out")
    check_network({f"--{name.replace('_', '-')}": getattr(args, name) for name in names})


def add_backend_arguments(parser: argparse.ArgumentParser, *, cluster: bool = False) -> None:
    """``--backend`` and ``--device``: which array library the math runs on, and where; with
    ``cluster``, also ``--scheduler`` for the dask backend."""
    from twolayer.backend import BACKENDS, DEVICES

    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="numpy",
        help="array library to compute with (default numpy); the others are extras, "
        "see docs/backends.md",
    )
    parser.add_argument(
        "--device", choices=DEVICES, default=None, help="default: cuda for cupy, else cpu"
    )
    if cluster:
        parser.add_argument(
            "--scheduler",
            type=nonempty,
            metavar="ADDRESS",
            help="dask backend: join the dask.distributed scheduler at ADDRESS "
            "(default: start a local cluster for the run)",
        )


def add_solver_argument(parser: argparse.ArgumentParser) -> None:
    """``--solver``; ``direct`` by default, which reproduces the seed bit for bit."""
    parser.add_argument(
        "--solver",
        choices=("direct", "dual", "auto"),
        default="direct",
        help="direct (default: the seed's arithmetic, bit for bit), dual (w1 kept as x.T @ P: "
        "much faster when N < D_in, equal up to ~1e-11), auto (dual when it applies and N < D_in)",
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
        "early stopping, --n-iter-no-change: improvement that counts (default 1e-4)",
    ),
    ("--tol-mode", "tol_mode", str, "relative (default) or absolute (scikit-learn's rule)"),
    (
        "--n-iter-no-change",
        "n_iter_no_change",
        positive_int,
        "stop (converged) after this many epochs without progress on the training loss",
    ),
    ("--max-fun", "max_fun", positive_int, "lbfgs: most loss evaluations (default 15000)"),
    ("--alpha", "alpha", finite_float, "L2 penalty on w1 and w2, scaled like the loss (default 0)"),
    ("--l1", "l1", finite_float, "L1 penalty on w1 and w2, scaled like the loss (default 0)"),
    (
        "--divergence-factor",
        "divergence_factor",
        positive_float,
        "stop when loss > this x first loss (default 1e8)",
    ),
]


def real_data(args: argparse.Namespace) -> bool:
    """Whether the options name real data (a file or a bundled dataset), not the seed's draws."""
    return bool(getattr(args, "data", None)) or getattr(args, "dataset", None) not in (
        None, "random",
    )  # fmt: skip


def config_from_args(
    args: argparse.Namespace, task: str = "regression", n_samples: int | None = None,
    smallest_class: int | None = None, *, recipe: bool = True,
) -> Any:  # fmt: skip
    """The :class:`TrainConfig` the arguments describe: every option named as a field of it;
    the ones left unset (None) take the real-data recipe's values on real data held in memory
    (:func:`twolayer.config.data_recipe` for the data's ``task``, ``n_samples`` training rows
    and ``smallest_class``; full batch on the dask backend), else, or without ``recipe``,
    ``TrainConfig``'s defaults, the seed's recipe (with the loss by the task)."""
    import dataclasses

    from twolayer.config import DATA_LOSSES, TrainConfig, data_recipe

    given = vars(args)
    typed = {
        f.name: given[f.name]
        for f in dataclasses.fields(TrainConfig)
        if given.get(f.name) is not None
    }
    if recipe and real_data(args):
        defaults = data_recipe(task, n_samples, smallest_class)
        if typed.get("optimizer") == "lbfgs" or getattr(args, "backend", None) == "dask":
            del defaults["batch_size"]  # L-BFGS and Dask's chunks take the full batch
        if typed.get("early_stopping") is False:  # its held-out rows go with it
            defaults["validation_fraction"] = 0.0
        chosen = {**defaults, **typed}
    else:
        seed_loss = "sse" if task == "regression" else DATA_LOSSES[task]
        chosen = {"loss": seed_loss, **typed}
    from twolayer.errors import ConfigError

    try:
        return TrainConfig(**chosen)
    except ConfigError as exc:  # in the words the user typed: --batch-size, not batch_size
        names = [f.name for f in dataclasses.fields(TrainConfig)]
        raise ConfigError(as_flags(str(exc), names)) from None


def as_flags(message: str, fields: list[str]) -> str:
    """``message`` with the configuration's field names written as their command-line flags
    (``batch_size`` -> ``--batch-size``; a one-word name only where it starts the message)."""
    import re

    for name in sorted(fields, key=len, reverse=True):
        flag = "--" + name.replace("_", "-")
        if "_" in name:
            message = re.sub(rf"valid {name}e?s are", f"valid {flag} values are", message)
            message = re.sub(rf"(?<![\w-]){name}\b", flag, message)
        elif message.startswith(f"{name} "):
            message = flag + message[len(name) :]
    return message


# Options that come from the checkpoint when resuming (only --iterations may change: the total).
RESUME_FIXED = (
    "data", "target", "dataset", "test_fraction", "standardize", "n", "d_in", "d_out", "hidden",
    "lr", "seed", "activation", "loss", "optimizer", "schedule", "init", "dtype", "bias",
    "early_stopping", "solver", "shuffle", "scores", "sample_weight", "features", "ignore",
    "categorical", "na_values", "task", *(name for _, name, _, _ in OPTIONS),
)  # fmt: skip


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data | --dataset``, ``--target``, the CSV column options, ``--task``,
    ``--test-fraction``, ``--standardize``."""
    from twolayer.data.datasets import DATASETS

    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        type=data_path,
        nargs="+",
        metavar="FILE",
        help="a CSV file, an .npz holding arrays x and y, or two .npy files (inputs, targets)",
    )
    source.add_argument(
        "--dataset",
        choices=sorted(DATASETS),
        default=None,
        help="penguins (a raw table shipped with twolayer), digits, diabetes, linnerud (shipped "
        "with scikit-learn) or random: the seed's "
        "draws (the default)",
    )
    parser.add_argument(
        "--target",
        action="append",
        type=column_list,
        metavar="COLUMNS",
        help="CSV target columns by name or number (from 1; -1 is the last, the default); "
        "comma-separated or repeated",
    )
    table = parser.add_argument_group("CSV columns (docs/data.md)")
    for flag, text in (
        ("--features", "the input columns (default: all but the targets and --ignore)"),
        ("--ignore", "columns left out of the inputs"),
        ("--categorical", "number columns read as categories (codes such as 1, 2, 3)"),
        ("--na-values", "more words meaning a missing cell (empty, NA, N/A, NaN, null, none, ? "
                        "and #N/A always do)"),
    ):  # fmt: skip
        table.add_argument(flag, action="append", type=column_list if flag != "--na-values"
                           else nonempty, metavar="COLUMNS" if flag != "--na-values" else "WORDS",
                           help=text + "; comma-separated or repeated")  # fmt: skip
    table.add_argument(
        "--task", choices=("classify", "regress"), default=None,
        help="what the target is (default: class labels for text, yes/no or at most 10 whole "
        "numbers, else values to regress)",
    )  # fmt: skip
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
    parser.add_argument(
        "--out", type=file_path, metavar="MODEL.npz", help="write the trained model here"
    )
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="K",
        help="also save the model file (a resumable checkpoint) every K iterations",
    )
    parser.add_argument(
        "--resume", type=file_path, metavar="MODEL.npz",
        help="continue the run saved in a model file",
    )  # fmt: skip
    parser.add_argument(
        "--history", type=file_path, metavar="FILE", help="one row per iteration: .csv or .jsonl"
    )
    parser.add_argument(
        "--plot", type=file_path, metavar="IMAGE", help="loss curves as .png, .svg or .pdf"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument(
        "--save-split", type=folder_path, metavar="DIR",
        help="with --test-fraction: write the training and test rows as DIR/train.csv and "
        "DIR/test.csv, with the file's own columns",
    )  # fmt: skip
