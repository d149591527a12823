"""``twolayer train``: every training option of :class:`~twolayer.config.TrainConfig` on the
command line, printing the seed-style ``iteration loss [val_loss]`` lines."""

from __future__ import annotations

import argparse
from typing import Any

from twolayer.cli import add_command, finite_float, positive_float, positive_int
from twolayer.commands.seed import add_problem_arguments

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
    parser.add_argument(
        "--dataset", choices=["random"], default="random", help="the seed's random draws"
    )
    add_problem_arguments(parser)
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument("--loss", choices=sorted(LOSSES), default="sse")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="gd")
    parser.add_argument("--schedule", choices=SCHEDULES, default="constant")
    parser.add_argument(
        "--init", choices=INITS, default="normal", help="normal (the seed's), he, glorot"
    )
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--bias", action="store_true", help="add biases b1, b2 (the seed has none)")
    parser.add_argument(
        "--early-stopping", action="store_true", help="stop on a stall, keep the best weights"
    )
    for flag, name, kind, help_text in OPTIONS:
        parser.add_argument(flag, dest=name, type=kind, default=None, help=help_text)
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> Any:
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
        loss=args.loss,
        bias=args.bias,
        init=args.init,
        dtype=args.dtype,
        optimizer=args.optimizer,
        schedule=args.schedule,
        early_stopping=args.early_stopping,
        seed=args.seed,
        **chosen,
    )


def random_data(args: argparse.Namespace, config: Any) -> tuple[Any, Any, Any]:
    """The seed's draws; its own standard-normal weights when ``init`` is the seed's."""
    from twolayer.model import Params
    from twolayer.seed import SeedProblem, seed_draws

    problem = SeedProblem(args.n, args.d_in, args.hidden, args.d_out, args.lr, args.iterations)
    x, y, params = seed_draws(args.seed, problem)
    if config.init != "normal":
        return x, y, None
    if config.bias:
        import numpy as np

        params = Params(params.w1, params.w2, np.zeros(args.hidden), np.zeros(args.d_out))
    return x, y, params


def run(args: argparse.Namespace) -> int:
    from twolayer.callbacks import PrintLosses
    from twolayer.train import train

    config = config_from_args(args)
    x, y, params = random_data(args, config)
    if params is not None:
        params = params.map(lambda p: p.astype(config.dtype))
    train(x, y, config, params, callbacks=[PrintLosses(quiet=args.quiet)])
    return 0
