"""``twolayer playground``: a local web page where twolayer's own loop trains live.

This module reads the options and the ``--data`` file; the page, the app and the server are
:mod:`twolayer.playground`, imported only when the command runs (it needs the ``playground``
extra: Starlette and uvicorn)."""

from __future__ import annotations

import argparse
import sys

from twolayer.backend import import_optional
from twolayer.cli.options import add_command
from twolayer.cli.types import column_list, port_number
from twolayer.data.sources import TASK_WORDS
from twolayer.errors import ConfigError
from twolayer.playground.userfile import TASKS, load_user_file

TABLE_OPTIONS = {
    "--features": "CSV input columns (default: all but the targets and --ignore)",
    "--ignore": "CSV columns left out of the inputs",
    "--categorical": "CSV number columns read as categories (codes such as 1, 2, 3)",
    "--na-values": "more words meaning a missing cell (empty, NA, N/A, NaN, null, none, ? and "
    "#N/A always do)",
}
"""The options of ``twolayer train`` that choose and read a CSV file's columns."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "playground",
        "Watch the network train live in the browser: loss curves, decision boundary, hidden "
        "units and weights, with the learning rate and more changeable mid-run "
        "(pip install 'twolayer[playground]').",
    )
    parser.add_argument(
        "--port", type=port_number, default=8000, help="TCP port (default 8000; 0: any free one)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this "
        "machine only)",
    )  # fmt: skip
    parser.add_argument(
        "--no-browser", action="store_true", help="print the page's address, open no browser"
    )
    parser.add_argument(
        "--data", nargs="+", metavar="FILE",
        help="your own data: a CSV file (read as twolayer train reads it: numbers, text "
        "categories, yes/no, dates, missing cells), an .npz holding x and y, or two .npy files",
    )  # fmt: skip
    parser.add_argument(
        "--target", action="append", type=column_list, metavar="COLUMNS",
        help="CSV target columns by name or number (default: the last); comma-separated",
    )  # fmt: skip
    parser.add_argument(
        "--task", choices=(*TASKS, *TASK_WORDS),
        default="auto",
        help="what the --data targets are (default auto: guessed as twolayer train guesses: "
        "class labels when the one target column holds text, yes/no or at most 10 whole "
        "numbers; classify and regress as twolayer train spells them)",
    )  # fmt: skip
    for flag, text in TABLE_OPTIONS.items():
        metavar = "WORDS" if flag == "--na-values" else "COLUMNS"
        parser.add_argument(flag, action="append", metavar=metavar,
                            help=text + "; comma-separated or repeated")  # fmt: skip
    parser.set_defaults(handler=run)


def listed(values: list[str] | None) -> list[str]:
    """Repeated options of comma-separated names, as one list: ``--x a,b --x c`` -> a, b, c."""
    return [v for item in values or () for v in item.split(",") if v]


def run(args: argparse.Namespace) -> int:
    for module, library in (("starlette", "Starlette"), ("uvicorn", "uvicorn")):
        import_optional(module, library, "playground")
    table = {flag: listed(getattr(args, flag[2:].replace("-", "_"))) for flag in TABLE_OPTIONS}
    given = [flag for flag, values in {"--target": args.target, **table}.items() if values]
    if given and not args.data:
        verb = "chooses" if len(given) == 1 else "choose"
        raise ConfigError(f"{', '.join(given)} {verb} columns of a --data file")
    from twolayer.playground.server import serve

    file_data = None
    prog = args.subparser.prog
    if args.data:
        task = TASK_WORDS.get(args.task, args.task)
        chosen = {flag[2:].replace("-", "_"): v for flag, v in table.items() if v}
        file_data = load_user_file(args.data, listed(args.target) or None, task, **chosen)
        for note in file_data.notes:  # what the reader decided: columns ignored, rows dropped
            print(f"{prog}: {note}", file=sys.stderr)
    return serve(args.host, args.port, open_browser=not args.no_browser, file_data=file_data,
                 prog=prog)  # fmt: skip
