"""``twolayer plot``: loss curves from a history file or a model file."""

from __future__ import annotations

import argparse
from pathlib import Path

from twolayer.cli.options import add_command
from twolayer.cli.types import file_path
from twolayer.errors import DataError
from twolayer.io.writing import check_distinct, check_writable


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "plot",
        "Draw training and validation loss per iteration from a history file (.csv, .jsonl) "
        "or a model file (.npz) written by 'twolayer train'.",
    )
    parser.add_argument(
        "history", type=file_path, metavar="FILE", help="a .csv/.jsonl history or an .npz model"
    )
    parser.add_argument(
        "--out", type=file_path, metavar="IMAGE",
        help="a .png, .svg or .pdf file (default: FILE with .png)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _counts(samples: object) -> dict[str, int] | None:
    """The model file's ``summary.samples``, when it is what ``twolayer train`` writes."""
    if isinstance(samples, dict) and all(
        isinstance(samples.get(k), int) and not isinstance(samples.get(k), bool)
        for k in ("train", "validation")
    ):
        return {"train": samples["train"], "validation": samples["validation"]}
    return None


def run(args: argparse.Namespace) -> int:
    from twolayer.outputs.history import read_history
    from twolayer.outputs.modelfile_reader import load_model_file
    from twolayer.outputs.plot import check_image_path, plot_history, require_matplotlib

    source = Path(args.history)
    out = Path(args.out) if args.out else source.with_suffix(".png")
    check_image_path(out)
    require_matplotlib()
    check_writable(out, "--out")
    check_distinct([("FILE", source)], [("--out", out)])
    loss, samples = None, None
    if source.suffix.lower() == ".npz":
        saved = load_model_file(source)
        rows = saved.history
        if not rows:
            raise DataError(f"{source}: holds no training history")
        loss, samples = saved.model.loss, saved.model.summary.get("samples")
    else:
        rows = read_history(source)
    plot_history(rows, out, title=source.name, loss=loss, samples=_counts(samples))
    print(f"wrote {out}")
    return 0
