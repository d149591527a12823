"""What the subcommands share: their common option groups, and the training flags, one for each
:class:`~twolayer.config.TrainConfig` field, made from its declaration (the argparse types of
the values are in :mod:`twolayer.cli.types`)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from twolayer.backend import BACKENDS, DEVICES
from twolayer.cli.types import (
    as_flags,
    column_list,
    data_path,
    field_type,
    file_path,
    finite_float,
    folder_path,
    nonempty,
    positive_int,
)
from twolayer.config import DATA_LOSSES, DATA_RECIPE, TrainConfig, data_recipe, spec
from twolayer.data.datasets import DATASETS
from twolayer.data.sources import TASK_WORDS
from twolayer.errors import ConfigError
from twolayer.io.memory import check_network


def add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """Create a subcommand's parser; it remembers itself so errors can print its usage."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(subparser=parser)
    return parser


PROBLEM_FIELDS = ("seed", "hidden", "iterations", "lr")
"""The configuration fields among :func:`add_problem_arguments`' flags, shared with
``twolayer seed``."""


def add_problem_arguments(parser: argparse.ArgumentParser, *, recipes: bool = False) -> None:
    """``--seed --n --d-in --hidden --d-out --iterations --lr``, defaulting to the seed's values
    (with ``recipes``, ``--iterations`` and ``--lr`` default by the data: see
    :func:`config_from_args`)."""
    parser.add_argument(
        "--seed", type=field_type("seed"), default=0,
        help="draw as np.random.seed(S) would (default 0)",
    )  # fmt: skip
    parser.add_argument("--n", type=positive_int, default=64, help="samples N (default 64)")
    parser.add_argument(
        "--d-in", type=positive_int, default=1000, help="input size D_in (default 1000)"
    )
    add_field_argument(parser, "hidden", default=TrainConfig.hidden)
    parser.add_argument(
        "--d-out", type=positive_int, default=10, help="output size D_out (default 10)"
    )
    for name in ("iterations", "lr"):
        add_field_argument(parser, name, default=None if recipes else getattr(TrainConfig, name),
                           recipes=recipes)  # fmt: skip


def check_problem_size(args: argparse.Namespace) -> None:
    """Refuse ``--n --d-in --hidden --d-out`` whose data and training cannot fit in memory,
    naming the options, before anything is drawn."""

    names = ("n", "d_in", "hidden", "d_out")
    check_network({f"--{name.replace('_', '-')}": getattr(args, name) for name in names})


def add_backend_arguments(parser: argparse.ArgumentParser, *, cluster: bool = False) -> None:
    """``--backend`` and ``--device``: which array library the math runs on, and where; with
    ``cluster``, also ``--scheduler`` for the dask backend."""

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
    add_field_argument(parser, "solver", default=TrainConfig.solver)


def add_field_argument(
    parser: argparse.ArgumentParser, name: str, *, default: Any = None, recipes: bool = False
) -> None:
    """The flag of :class:`TrainConfig`'s field ``name``, from its declaration: ``--lr-min``
    for ``lr_min``, its help, its choices or range (checked as the value is read, with the
    configuration's words), a ``--no-`` twin for a boolean.  Left unset, the value is
    ``default`` (None: the configuration's, or with ``recipes`` the real-data recipe's)."""
    rule = spec(TrainConfig, name)
    flag = "--" + name.replace("_", "-")
    help_text = f"{rule.help} ({_default_text(name, recipes)})"
    if isinstance(getattr(TrainConfig, name), bool):
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                            help=help_text)  # fmt: skip
        return
    parser.add_argument(flag, dest=name, type=field_type(name), choices=rule.choices,
                        default=default, help=help_text)  # fmt: skip


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """A flag for every :class:`TrainConfig` field declared with one, but those of
    :func:`add_problem_arguments`, defaulting by the data (:func:`config_from_args`)."""
    for f in dataclasses.fields(TrainConfig):
        if spec(TrainConfig, f.name).flag and f.name not in PROBLEM_FIELDS:
            add_field_argument(parser, f.name, recipes=True)


def _default_text(name: str, recipes: bool) -> str:
    """``default 0.9``; with ``recipes``, also the default on real data where it differs."""
    seed = getattr(TrainConfig, name)
    if not recipes:
        return f"default {_shown(seed)}"
    if name == "loss":
        by_task = ", ".join(f"{loss} for {task}" for task, loss in DATA_LOSSES.items())
        return f"default {seed}, the seed's; on real data {by_task}"
    if name in DATA_RECIPE and DATA_RECIPE[name] != seed:
        return f"default {_shown(seed)}, the seed's; on real data {_shown(DATA_RECIPE[name])}"
    return f"default {_shown(seed)}"


def _shown(value: Any) -> str:
    """A default as the help shows it: on, off, unset, 1e-8."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}".replace("e+0", "e").replace("e-0", "e-")
    return "unset" if value is None else str(value)


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
    try:
        return TrainConfig(**chosen)
    except ConfigError as exc:  # in the words the user typed: --batch-size, not batch_size
        names = [f.name for f in dataclasses.fields(TrainConfig)]
        raise ConfigError(as_flags(str(exc), names)) from None


# Options that come from the checkpoint when resuming (only --iterations may change: the total).
RESUME_FIXED = (
    "data", "target", "dataset", "test_fraction", "standardize", "n", "d_in", "d_out", "hidden",
    "lr", "seed", "activation", "loss", "optimizer", "schedule", "init", "dtype", "bias",
    "early_stopping", "solver", "shuffle", "scores", "sample_weight", "features", "ignore",
    "categorical", "na_values", "task",
    *(f.name for f in dataclasses.fields(TrainConfig) if f.name != "iterations"),
)  # fmt: skip


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data | --dataset``, ``--target``, the CSV column options, ``--task``,
    ``--test-fraction``, ``--standardize``."""

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
        "--task", choices=tuple(TASK_WORDS), default=None,
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
