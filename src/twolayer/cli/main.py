"""The ``twolayer`` command: a thin layer that parses arguments and calls the library.

Every subcommand is a module of this package with ``add_parser(subparsers)``
(which sets ``handler``); heavy optional imports happen inside the handler that needs them.
Errors twolayer raises on purpose become one ``twolayer CMD: error: ...`` line on stderr:
exit code 2 for bad input, 1 for a run that failed (such as a diverging one), no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from twolayer.errors import ConfigError, TwoLayerError

COMMANDS = ("seed", "train", "predict", "evaluate", "plot", "gradcheck", "bench")


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
        importlib.import_module(f"twolayer.cli.{name}").add_parser(subparsers)
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
    except MemoryError:  # what the size checks before allocating could not foresee
        print(f"{args.subparser.prog}: error: out of memory: the data or the network are too "
              "large for this machine; use fewer samples, features or hidden units",
              file=sys.stderr)  # fmt: skip
        return 2
    except BrokenPipeError:
        # The reader went away (as with `twolayer seed | head`): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 2  # pragma: no cover - parser.error exits
