"""``twolayer explain``: which inputs a model leans on, from gradient times input over rows."""

from __future__ import annotations

import argparse
import json

from twolayer.cli.options import add_command
from twolayer.cli.predict import add_model_arguments, model_data, print_notes
from twolayer.cli.types import file_path, positive_int


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "explain",
        "Rank a model's inputs by how much they move its answers on some rows: the mean of "
        "|input gradient x (input - training mean)| (docs/data.md#twolayer-explain).",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--top", type=positive_int, default=20, help="show the first K inputs (default 20)"
    )
    parser.add_argument(
        "--plot", type=file_path, metavar="IMAGE", help="also draw them (.png, .svg or .pdf)"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from twolayer.outputs.explain import draw_importance, importance
    from twolayer.outputs.modelfile_reader import load_model
    from twolayer.outputs.plot import check_figure_path, save_figure

    if args.plot:
        check_figure_path(args.plot, [("--model", args.model), *(("--data", p) for p in args.data)])
    model = load_model(args.model)
    data, _ = model_data(model, args.data)
    notes: list[str] = list(data.notes)
    ranked = importance(model, data.x, notes)
    print_notes(args.subparser.prog, data.name, notes)
    shown = ranked[: args.top]
    width = max(len("input"), *(len(r.name) for r in shown))
    print(f"{'input':<{width}}  importance  mean gradient")
    for r in shown:
        print(f"{r.name:<{width}}  {r.importance:10.4g}  {r.gradient:13.4g}")
    if len(ranked) > len(shown):
        print(f"... {len(ranked) - len(shown)} more (--top {len(ranked)} shows all)")
    if args.plot:
        fig = draw_importance(shown, title=f"{data.name}: {data.n_samples} rows")
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}")
    if args.json:
        print(json.dumps({"samples": data.n_samples, "importance": [
            {"input": r.name, "importance": r.importance, "mean_gradient": r.gradient}
            for r in ranked]}))  # fmt: skip
    return 0
