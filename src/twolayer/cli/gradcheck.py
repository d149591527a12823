"""``twolayer gradcheck``: analytic gradients against central differences on a small problem."""

from __future__ import annotations

import argparse

from twolayer.cli.options import add_command, add_field_argument, check_problem_size
from twolayer.cli.types import in_range, non_negative_int, positive_int
from twolayer.config import TrainConfig
from twolayer.errors import ConfigError, Range
from twolayer.nn.gradcheck import TOLERANCE, check_gradients, random_problem

MAX_GFLOP = 20.0
"""The most work ``twolayer gradcheck`` takes on (a few seconds to a minute): central
differences run two forward passes per parameter."""


def difference_step(text: str) -> float:
    """argparse type: a finite-difference step between 1e-12 and 0.01 (a larger one measures
    the slope of a chord, or overflows; a smaller one, rounding noise)."""
    return float(in_range(text, Range(1e-12, 0.01)))


def check_work(args: argparse.Namespace) -> None:
    """A ConfigError when central differences on these sizes would take more than
    :data:`MAX_GFLOP` of arithmetic: 2 forward passes of N (D_in H + H D_out) multiply-adds for
    each of the D_in H + H D_out parameters."""

    weights = args.d_in * args.hidden + args.hidden * args.d_out
    gflop = 2 * weights * 2 * args.n * weights / 1e9
    if gflop > MAX_GFLOP:
        raise ConfigError(
            f"--n {args.n}, --d-in {args.d_in}, --hidden {args.hidden}, --d-out {args.d_out}: "
            f"central differences would take about {gflop:,.0f} GFLOP (2 forward passes for "
            f"each of {weights:,} weights); gradcheck checks small problems, at most "
            f"{MAX_GFLOP:g} GFLOP: use smaller sizes"
        )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "gradcheck",
        "Compare every parameter's analytic gradient with central differences in float64; "
        f"exit 0 only if every relative error is below {TOLERANCE:g}.",
    )
    parser.add_argument("--n", type=positive_int, default=5, help="samples (default 5)")
    parser.add_argument("--d-in", type=positive_int, default=4, help="inputs (default 4)")
    parser.add_argument("--hidden", type=positive_int, default=6, help="hidden units (default 6)")
    parser.add_argument("--d-out", type=positive_int, default=3, help="outputs (default 3)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--eps", type=difference_step, default=1e-6,
        help="finite-difference step, 1e-12 to 0.01 (default 1e-6)",
    )  # fmt: skip
    for name in ("activation", "loss"):  # as TrainConfig declares them, with its defaults
        add_field_argument(parser, name, default=getattr(TrainConfig, name))
    parser.add_argument("--bias", action="store_true", help="include biases b1 and b2")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_problem_size(args)
    check_work(args)
    params, x, y = random_problem(
        args.seed, args.n, args.d_in, args.hidden, args.d_out, loss=args.loss, bias=args.bias
    )
    errors = check_gradients(params, x, y, activation=args.activation, loss=args.loss, eps=args.eps)
    for error in errors:
        print(error)
    worst = max(e.relative_error for e in errors)
    verdict = "ok" if worst < TOLERANCE else "FAILED"
    print(f"{verdict}: largest relative error {worst:.3e} (tolerance {TOLERANCE:g})")
    return 0 if worst < TOLERANCE else 1
