"""The ``twolayer`` command: a thin layer that parses arguments and calls the library.

Every subcommand lives in :mod:`twolayer.commands` as a module with ``add_parser(subparsers)``
(which sets ``handler``); heavy optional imports happen inside the handler that needs them.
Errors twolayer raises on purpose become one ``twolayer CMD: error: ...`` line on stderr:
exit code 2 for bad input, 1 for a run that failed (such as a diverging one), no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Sequence

from twolayer.errors import ConfigError, TwoLayerError

COMMANDS = ("seed", "train", "predict", "evaluate", "plot", "gradcheck", "bench")


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    value = int(_number(text, int, "an integer"))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(_number(text, int, "an integer"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _number(text, float, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite number (ranges are checked by the configuration)."""
    value = _number(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _number(text: str, kind: type[int] | type[float], what: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


class _VersionAction(argparse.Action):
    """``--version``: looks the installed version up only when asked (it costs start-up time)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from twolayer._version import installed_version

        print(f"twolayer {installed_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per module in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="twolayer",
        description="A two-layer ReLU network trained by hand-written backpropagation.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the version and exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"twolayer.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        args.subparser.error(str(exc))  # usage line, then "twolayer CMD: error: ...", exit 2
    except TwoLayerError as exc:
        print(f"{args.subparser.prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{args.subparser.prog}: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (as with `twolayer seed | head`): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 2  # pragma: no cover - parser.error exits


def add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """Create a subcommand's parser; it remembers itself so errors can print its usage."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(subparser=parser)
    return parser
