"""One training session, as ``twolayer train`` runs it: its data prepared, a run on a backend
with the session's callbacks, files out, a report.

The command line checks the session (:func:`twolayer.run.request.check_session`), reads its
data (:func:`twolayer.run.data.read_data`) and builds the configuration from the data's
sizes, then calls :func:`run`.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

from twolayer.config import TrainConfig
from twolayer.data.splits import held_out
from twolayer.io.memory import check_network
from twolayer.outputs.callbacks import (
    Checkpoint,
    HistoryLog,
    PrintLosses,
    ProgressBar,
    StopOnInterrupt,
    around_bar,
    wants_bar,
)
from twolayer.outputs.report import describe_run, loss_columns
from twolayer.outputs.trained import Model
from twolayer.run.data import Prepared, SourceData, initial_params, prepare
from twolayer.run.files import split_writers, write_outputs
from twolayer.run.on_backend import train_on_backend
from twolayer.run.report import report
from twolayer.run.request import Session, interrupt_checkpoint
from twolayer.state import Callback, TrainResult


def run(session: Session, data: SourceData, config: TrainConfig) -> int:
    """Run ``session`` on its ``data`` with ``config``; return the exit code (0, or 130 when
    Ctrl-C stopped it, its checkpoint saved)."""
    prepared = prepare(session, data, config)
    n = int(prepared.x.shape[0])
    n_val = held_out(n, config.validation_fraction)
    samples = {"train": n - n_val, "validation": n_val}  # what the plot divides sums by
    announce(session, prepared, config)
    saved, out = session.saved, session.out or session.resume
    log = HistoryLog(saved.history if saved else ())
    about = model_fields(session, prepared, config, samples)
    saver = Checkpoint(out or interrupt_checkpoint(), about, log, session.checkpoint_every)
    stop = StopOnInterrupt()
    start = time.perf_counter()
    result = train_with(session, prepared, config, [log, saver], stop, samples)
    seconds = time.perf_counter() - start
    if stop.requested:
        _, checkpoint = saver.prepare(result.state, stop_reason="interrupted")
        write_outputs(session, [(saver.path, checkpoint)], log.rows, config.loss, samples)
        print(f"{session.prog}: interrupted after iteration {result.state.iteration - 1}; "
              f"checkpoint saved to {saver.path}; continue with: twolayer train --resume "
              f"{saver.path}", file=sys.stderr)  # fmt: skip
        return 130
    files = split_writers(session, prepared)
    if out:
        model, checkpoint = saver.prepare(result.state, stop_reason=result.stop_reason)
        write_outputs(session, [(out, checkpoint), *files], log.rows, config.loss, samples)
    else:
        model = Model(result.params, **about)
        write_outputs(session, files, log.rows, config.loss, samples)
    report(session, model, result, prepared, config, seconds)
    return 0


def model_fields(
    session: Session, data: Prepared, config: TrainConfig, samples: dict[str, int]
) -> dict[str, Any]:
    """The fields of the session's :class:`~twolayer.outputs.trained.Model` besides its
    weights: what the checkpoints and the model file say about the network and its data."""
    return {"activation": config.activation, "loss": config.loss, "preprocessing": data.prep,
            "config": config, "feature_names": data.names[0], "target_names": data.names[1],
            "summary": {"samples": samples}, "source": session.source}  # fmt: skip


def announce(session: Session, data: Prepared, config: TrainConfig) -> None:
    """Before training: refuse sizes whose training cannot fit in memory, and say on stderr
    what a fresh run on real data trains and how (with the data's notes)."""
    saved = session.saved
    if data.train_set is not None:  # in memory: check what training adds before it starts
        hidden = "hidden" if saved else "--hidden"
        check_network({"samples": data.x.shape[0], "inputs": data.x.shape[1],
                       hidden: config.hidden, "outputs": data.y.shape[1]})  # fmt: skip
    if data.dataset is None or saved is not None:
        return
    for note in data.dataset.notes:
        print(f"{session.prog}: {note}", file=sys.stderr)
    if session.source["kind"] in ("file", "dataset"):
        print(f"{session.prog}: {describe_run(data.dataset, data.names[0], config)}",
              file=sys.stderr)  # fmt: skip


def train_with(
    session: Session, data: Prepared, config: TrainConfig, keep: list[Callback],
    stop: StopOnInterrupt, samples: dict[str, int],
) -> TrainResult:  # fmt: skip
    """Train on the session's backend with the printed lines, the callbacks ``keep`` (the
    history log and the checkpoints), Ctrl-C's ``stop`` and, on a terminal, a progress bar."""
    saved = session.saved
    bar = wants_bar(sys.stderr, quiet=session.quiet)
    real = session.source["kind"] in ("file", "dataset")
    columns = loss_columns(config, samples, real=real)
    printer = PrintLosses(around_bar(sys.stdout) if bar else None, quiet=session.quiet,
                          per_sample=columns.per_sample, header=columns.header)  # fmt: skip
    with contextlib.ExitStack() as stack:
        callbacks: list[Callback] = [printer, *keep, stack.enter_context(stop.catching())]
        if bar:
            done = saved.state.iteration if saved and saved.state else 0
            callbacks.append(stack.enter_context(ProgressBar(config.iterations, initial=done)))
        return train_on_backend(
            (session.backend, session.device, session.scheduler), data.x, data.y, config,
            None if saved else initial_params(data.seed_params, config),
            callbacks=callbacks, state=saved.state if saved else None,
            sample_weight=None if data.train_set is None else data.train_set.weight,
        )  # fmt: skip


__all__ = ["announce", "model_fields", "run", "train_with"]
