"""``twolayer seed``: the seed's experiment, printed line for line as the seed prints it."""

from __future__ import annotations

import argparse

from twolayer.cli import add_command, non_negative_int, positive_float, positive_int

MAX_SEED = 2**32 - 1  # the range np.random.seed / RandomState accept


def seed_value(text: str) -> int:
    """argparse type: a NumPy legacy seed, 0 <= S < 2**32."""
    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED}, got {text}")
    return value


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed --n --d-in --hidden --d-out --iterations --lr``, defaulting to the seed's values."""
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
    parser.add_argument(
        "--iterations", type=non_negative_int, default=500, help="steps (default 500)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=1e-6, help="learning rate (default 1e-6)"
    )


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
            metavar="ADDRESS",
            help="dask backend: join the dask.distributed scheduler at ADDRESS "
            "(default: start a local cluster for the run)",
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


def add_solver_argument(parser: argparse.ArgumentParser) -> None:
    """``--solver``; ``direct`` by default, which reproduces the seed bit for bit."""
    parser.add_argument(
        "--solver",
        choices=("direct", "dual", "auto"),
        default="direct",
        help="direct (default: the seed's arithmetic, bit for bit), dual (w1 kept as x.T @ P: "
        "much faster when N < D_in, equal up to ~1e-11), auto (dual when it applies and N < D_in)",
    )


def run(args: argparse.Namespace) -> int:
    from twolayer.backend import get_backend
    from twolayer.data.classic import SeedProblem, seed_draws
    from twolayer.outputs.callbacks import PrintLosses
    from twolayer.train import train

    on = get_backend(args.backend, args.device)
    on.check()  # a missing library or device is reported before any work
    problem = SeedProblem(args.n, args.d_in, args.hidden, args.d_out, args.lr, args.iterations)
    x, y, params = seed_draws(args.seed, problem)  # drawn with NumPy, then moved
    train(
        on.data(x), on.data(y), problem.config(track="loss", solver=args.solver),
        on.params(params),
        callbacks=[PrintLosses(quiet=args.quiet)],
    )  # fmt: skip
    return 0
