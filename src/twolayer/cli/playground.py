"""``twolayer playground``: a local web page where twolayer's own loop trains live.

This module reads the options and the ``--data`` file; the page, the app and the server are
:mod:`twolayer.playground`, imported only when the command runs (it needs the ``playground``
extra: Starlette and uvicorn)."""

from __future__ import annotations

import argparse
import sys

from twolayer.cli.options import add_command, port_number


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
        "--target", action="append", metavar="COLUMNS",
        help="CSV target columns by name or number (default: the last); comma-separated",
    )  # fmt: skip
    parser.add_argument(
        "--task", choices=("auto", "classification", "regression"), default="auto",
        help="what the --data targets are (default auto: guessed as twolayer train guesses: "
        "class labels when the one target column holds text, yes/no or at most 10 whole "
        "numbers)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from twolayer.backend import import_optional
    from twolayer.errors import ConfigError

    for module, library in (("starlette", "Starlette"), ("uvicorn", "uvicorn")):
        import_optional(module, library, "playground")
    if args.target and not args.data:
        raise ConfigError("--target chooses columns of a --data file")
    from twolayer.playground.server import serve
    from twolayer.playground.userfile import load_user_file

    file_data = None
    prog = args.subparser.prog
    if args.data:
        targets = [t for item in args.target or () for t in item.split(",") if t]
        file_data = load_user_file(args.data, targets or None, args.task)
        for note in file_data.notes:  # what the reader decided: columns ignored, rows dropped
            print(f"{prog}: {note}", file=sys.stderr)
    return serve(args.host, args.port, open_browser=not args.no_browser, file_data=file_data,
                 prog=prog)  # fmt: skip
