"""``twolayer export``: a model file written for another runtime, checked against its answers."""

from __future__ import annotations

import argparse

from twolayer.cli.options import add_command
from twolayer.cli.types import file_path
from twolayer.export import FORMATS, export_model
from twolayer.io.writing import check_distinct


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "export",
        "Write a model file in a format other programs run (numpy: one .py file needing only "
        "NumPy; torch: TorchScript; onnx), after running it there and comparing its answers with "
        "twolayer's.",
    )
    parser.add_argument("model", type=file_path, metavar="MODEL.npz", help="the model file")
    parser.add_argument("--format", choices=tuple(FORMATS), default="numpy",
                        help="numpy (the default): a .py file with predict(x); torch: a "
                        "TorchScript .pt file (needs PyTorch); onnx: an .onnx graph (needs "
                        "onnx)")  # fmt: skip
    parser.add_argument("--out", type=file_path, required=True, metavar="PATH",
                        help="the file to write (model.py)")  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from twolayer.outputs.modelfile_reader import load_model

    check_distinct([("MODEL", args.model)], [("--out", args.out)])
    done = export_model(load_model(args.model), args.out, args.format)
    print(f"wrote {done.path}: {args.format}; on {done.rows} check rows its answers differ from "
          f"twolayer's by at most {done.max_difference:.3g} (relative)")  # fmt: skip
    return 0
