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
import warnings
from collections.abc import Sequence
from typing import NoReturn

from twolayer._version import installed_version
from twolayer.errors import ConfigError, TwoLayerError

COMMANDS = (
    "seed", "train", "lr-find", "predict", "evaluate", "explain", "export", "plot", "gradcheck",
    "datasets", "playground",
)  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with a usage error of two lines: a short usage line pointing at
    ``--help``, then ``PROG: error: ...`` (not the whole usage block of every option)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"usage: {self.prog} [options]  (see {self.prog} --help)\n"
                     f"{self.prog}: error: {message}\n")  # fmt: skip


NEGATIVE_VALUED = ("--target",)
"""Options whose value may start with a minus sign (``--target -2,-1``: columns from the end)."""


def _negative_values(argv: list[str]) -> list[str]:
    """``--target -2,-1`` as ``--target=-2,-1``: argparse would read ``-2,-1`` as an option."""
    out: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token in NEGATIVE_VALUED:
            value = next(tokens, None)
            if value is not None and value[:1] == "-" and value[1:2].isdigit():
                out.append(f"{token}={value}")
                continue
            out.extend([token] if value is None else [token, value])
            continue
        out.append(token)
    return out


def given_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The destinations of the options ``argv`` sets explicitly: parsed again with every
    default suppressed, so a flag given with its default value still counts as given."""
    defaults = [(action, action.default) for action in parser._actions if action.option_strings]
    try:
        for action, _ in defaults:
            action.default = argparse.SUPPRESS
        given, _ = parser.parse_known_args(argv)
    finally:
        for action, default in defaults:
            action.default = default
    return set(vars(given)) - set(parser._defaults)


class _VersionAction(argparse.Action):
    """``--version``: looks the installed version up only when asked (it costs start-up time)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"twolayer {installed_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per module in :data:`COMMANDS`."""
    parser = _Parser(
        prog="twolayer",
        description="A two-layer ReLU network trained by hand-written backpropagation.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the version and exit"
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for name in COMMANDS:
        importlib.import_module(f"twolayer.cli.{name.replace('-', '')}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    argv = _negative_values(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    after = argv[argv.index(args.command) + 1 :] if args.command in argv else []
    args.given = given_options(args.subparser, after)  # what was typed, not left to defaults
    try:
        with warnings.catch_warnings():
            # NumPy's overflow warnings would print beside the run's own words: the divergence
            # guard and the loaders say in one line what went wrong and what to change.
            warnings.simplefilter("ignore", RuntimeWarning)
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
