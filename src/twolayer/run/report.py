"""What a session prints when it ends: each set's metrics, the notes on how the run ended,
the ``--json`` line (:mod:`twolayer.outputs.report`) and the training doctor's findings."""

from __future__ import annotations

import sys

from twolayer.backend import is_dask_array
from twolayer.config import TrainConfig
from twolayer.data.prep import Dataset
from twolayer.outputs.doctor import diagnose
from twolayer.outputs.report import print_report, set_metrics
from twolayer.outputs.trained import Model
from twolayer.run.data import Prepared
from twolayer.run.request import Session
from twolayer.state import TrainResult


def report(
    session: Session, model: Model, result: TrainResult, data: Prepared, config: TrainConfig,
    seconds: float,
) -> None:  # fmt: skip
    """Metrics on the training, validation (the rows ``train`` held out: ``result.split``) and
    test sets held in memory (or on chunked data), the notes on how the run ended, and with
    ``json`` one JSON line; with ``diagnose``, the doctor's findings on stderr."""
    train_set = data.train_set
    sets: dict[str, Dataset] = {}
    if train_set is not None:
        sets = {"train": train_set}
        if result.split is not None:
            sets = {"train": train_set.subset(result.split.train),
                    "validation": train_set.subset(result.split.validation)}  # fmt: skip
        if data.test_set is not None:
            sets["test"] = data.test_set
    chunked = (data.x, data.y) if train_set is None and is_dask_array(data.x) else None
    print_report(
        model, result, set_metrics(model, sets, chunked), seconds=seconds,
        out=session.out or session.resume, real_data=session.source["kind"] != "random",
        json_line=session.json, prog=session.prog,
    )  # fmt: skip
    if session.diagnose:
        x = None if chunked is not None else data.x
        findings = diagnose(result.history, result.params, config, x)
        lines = [f.line() for f in findings] or ["nothing to flag: the run looks healthy"]
        for line in lines:
            print(f"{session.prog}: doctor: {line}", file=sys.stderr)


__all__ = ["report"]
