"""``twolayer lr-find``: the learning-rate range test on the data and options ``twolayer
train`` would use (:mod:`twolayer.lr_range`)."""

from __future__ import annotations

import argparse

from twolayer.cli.options import add_command
from twolayer.cli.train import add_training_arguments, source_from_args
from twolayer.cli.types import file_path, positive_float, positive_int


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "lr-find",
        "Train one iteration at each of a range of growing learning rates until the loss blows "
        "up, and suggest the rate where it fell fastest (docs/training.md#lr-find).",
    )
    add_training_arguments(parser)
    parser.add_argument(
        "--lr-from", type=positive_float, default=None,
        help="the first rate (default 1e-10 on the seed's data, 1e-7 on real data)",
    )  # fmt: skip
    parser.add_argument("--lr-to", type=positive_float, default=10.0,
                        help="the last rate (default 10)")  # fmt: skip
    parser.add_argument("--steps", type=positive_int, default=100, help="rates tried (default 100)")
    parser.add_argument("--plot", type=file_path, metavar="IMAGE",
                        help="draw the loss against the rate (.png, .svg or .pdf)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from twolayer.cli.options import config_from_args
    from twolayer.lr_range import draw_range_test, lr_range_test
    from twolayer.outputs.plot import check_figure_path, save_figure
    from twolayer.run import Session, initial_params, prepare, read_data

    if args.plot:
        check_figure_path(args.plot, [("--data", p) for p in args.data or ()])
    source = source_from_args(args)
    session = Session(source)
    read = read_data(session)
    config = config_from_args(args, *read.sizes, recipe=True)
    data = prepare(session, read, config)
    start = args.lr_from or (1e-10 if source["kind"] == "random" else 1e-7)
    found = lr_range_test(data.x, data.y, config, initial_params(data.seed_params, config),
                          lr_min=start, lr_max=args.lr_to, steps=args.steps)  # fmt: skip
    print("lr loss smoothed")
    every = max(1, len(found.rates) // 12)
    for k in range(0, len(found.rates), every):
        print(f"{found.rates[k]:.3g} {found.losses[k]:.6g} {found.smoothed[k]:.6g}")
    how = "the loss blew up" if found.stopped == "diverged" else "the last rate was reached"
    print(f"stopped after {len(found.rates)} rates: {how}")
    if found.suggested is None:
        print("the loss never fell: start lower (--lr-from) or check the data")
    else:
        assert found.lowest is not None
        print(f"suggested --lr {found.suggested:.2g} (the loss fell fastest there; it was lowest "
              f"at {found.lowest:.2g})")  # fmt: skip
    if args.plot:
        fig = draw_range_test(found, title=f"{config.optimizer}, loss {config.loss}")
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}")
    if args.json:
        print(json.dumps({"suggested": found.suggested, "lowest": found.lowest,
                          "stopped": found.stopped, "rates": found.rates,
                          "losses": found.losses}))  # fmt: skip
    return 0
