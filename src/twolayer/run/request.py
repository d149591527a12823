"""What one training session is asked to do (:class:`Session`), checked before any work.

The command line fills a :class:`Session` from its options; :func:`check_session` refuses bad
output options (and a resumed run's source) before any data are read or any file is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twolayer.data.sources import check_source
from twolayer.errors import ConfigError, DataError, ModelFileError
from twolayer.io.writing import check_distinct, check_writable
from twolayer.outputs.history import history_format
from twolayer.outputs.modelfile import ModelFile
from twolayer.outputs.plot import check_image_path, require_matplotlib

INTERRUPT_CHECKPOINT = "twolayer-checkpoint.npz"  # where Ctrl-C saves a run that has no --out


@dataclass(frozen=True)
class Session:
    """What one training session is asked to do: plain values, read by the session's steps.

    Attributes
    ----------
    source : the data, as a description a model file keeps (``kind``: file, dataset, random
        or chunks; ``test_fraction``, ``standardize``; see ``twolayer.data.sources.load_source``)
    saved, resume : the checkpoint a resumed session continues and its file, or None
    iterations : a resumed session's new total of iterations, or None to keep the saved one
    backend, device, scheduler : where to compute (``twolayer.backend``; Dask's scheduler)
    out, checkpoint_every, history, plot : files to write (None: not asked for)
    save_split : a folder for the training and test rows as CSV files (None: not asked for)
    diagnose : end with the training doctor's findings (:mod:`twolayer.outputs.doctor`)
    json, quiet : end with one JSON line; print only the final loss line
    prog : the command's name, for messages
    """

    source: dict[str, Any]
    saved: ModelFile | None = None
    resume: str | None = None
    iterations: int | None = None
    backend: str = "numpy"
    device: str | None = None
    scheduler: str | None = None
    out: str | None = None
    checkpoint_every: int | None = None
    history: str | None = None
    plot: str | None = None
    save_split: str | None = None
    diagnose: bool = False
    json: bool = False
    quiet: bool = False
    prog: str = "twolayer train"


def interrupt_checkpoint() -> str:
    """Where Ctrl-C saves a run that has no file of its own: :data:`INTERRUPT_CHECKPOINT`, or
    ``twolayer-checkpoint-2.npz``, ``-3``, ... when it exists, so that the checkpoint of an
    earlier interrupted run is never replaced."""
    stem, suffix = INTERRUPT_CHECKPOINT.removesuffix(".npz"), ".npz"
    name, k = INTERRUPT_CHECKPOINT, 1
    while os.path.lexists(name):
        k += 1
        name = f"{stem}-{k}{suffix}"
    return name


def check_session(session: Session) -> None:
    """Everything that can be refused before the data are read: a resumed run's source
    (checked field by field) and the output options (:func:`check_outputs`)."""
    if session.saved is not None:  # the source a model file describes
        try:
            check_source(session.source)
        except DataError as exc:
            raise ModelFileError(f"{session.resume}: metadata field 'source': {exc}") from None
    check_outputs(session)


def check_outputs(session: Session) -> None:
    """Refuse bad output options before any work is done or any file is touched: a name that
    is empty, has the wrong suffix or cannot be written, and an output that is the same file
    as an input or as another output."""
    for flag, path in (("--out", session.out), ("--resume", session.resume),
                       ("--history", session.history), ("--plot", session.plot)):  # fmt: skip
        if path is not None and not str(path):
            raise ConfigError(f"{flag}: the file name is empty")
    if session.out:
        check_writable(session.out, "--out", (".npz",))
    elif session.resume:  # the continued run is written back into it
        check_writable(session.resume, "--resume")
    if session.checkpoint_every and not (session.out or session.saved):
        raise ConfigError("--checkpoint-every needs --out: checkpoints are written to that file")
    if session.history:
        history_format(session.history)
        check_writable(session.history, "--history")
    if session.plot:
        check_image_path(session.plot)
        require_matplotlib()
        check_writable(session.plot, "--plot")
    source = session.source
    splits = split_files(session)
    if session.save_split is not None:
        if not source.get("test_fraction") or source.get("kind") not in ("file", "dataset"):
            raise ConfigError("--save-split writes the rows --test-fraction holds out of a "
                              "--data file or a --dataset")  # fmt: skip
        folder = Path(session.save_split)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"--save-split {session.save_split!r} is not a directory")
        if not folder.exists():  # made when the run ends: its parent must take it
            check_writable(folder, "--save-split")
        else:
            for split in splits:
                check_writable(split, "--save-split")
    paths = source.get("paths") if source.get("kind") == "file" else None
    data = [("--data", str(p)) for p in paths or () if isinstance(p, str | Path)]
    if session.saved is not None:
        data = [(f"--resume {session.resume}'s training data", p) for _, p in data]
    model = session.out or session.resume  # --resume alone continues the run in its own file
    outputs = [("--out" if session.out else "--resume", model)] if model else [
        ("the checkpoint of an interrupted run", interrupt_checkpoint())
    ]  # fmt: skip
    logs = [(f, p) for f, p in (("--history", session.history), ("--plot", session.plot)) if p]
    logs += [("--save-split", str(p)) for p in splits]
    if session.resume:
        check_distinct([("--resume", session.resume)], logs)
    check_distinct(data, [*outputs, *logs])


def split_files(session: Session) -> list[Path]:
    """The files ``--save-split DIR`` writes: DIR/train.csv and DIR/test.csv."""
    if session.save_split is None:
        return []
    return [Path(session.save_split) / "train.csv", Path(session.save_split) / "test.csv"]


__all__ = ["INTERRUPT_CHECKPOINT", "Session", "check_outputs", "check_session",
           "interrupt_checkpoint", "split_files"]  # fmt: skip
