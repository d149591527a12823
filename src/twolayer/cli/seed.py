"""``twolayer seed``: the seed's experiment, printed line for line as the seed prints it."""

from __future__ import annotations

import argparse

from twolayer.cli.options import (
    add_backend_arguments,
    add_command,
    add_problem_arguments,
    add_solver_argument,
    check_problem_size,
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "seed",
        "Run the seed's experiment and print 'iteration loss' lines exactly as it does.",
    )
    add_problem_arguments(parser)
    add_backend_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    add_solver_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from twolayer.backend import get_backend
    from twolayer.data.classic import SeedProblem, seed_draws
    from twolayer.outputs.callbacks import PrintLosses
    from twolayer.train import train

    on = get_backend(args.backend, args.device)
    on.check()  # a missing library or device is reported before any work
    check_problem_size(args)
    problem = SeedProblem(args.n, args.d_in, args.hidden, args.d_out, args.lr, args.iterations)
    x, y, params = seed_draws(args.seed, problem)  # drawn with NumPy, then moved
    train(
        on.data(x), on.data(y), problem.config(track="loss", solver=args.solver),
        on.params(params),
        callbacks=[PrintLosses(quiet=args.quiet)],
    )  # fmt: skip
    return 0
