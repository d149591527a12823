"""One training session, as ``twolayer train`` runs it: data in, a run on a backend, files out.

:func:`run` takes a :class:`Session` (what the command line asked for, already parsed) through
one pipeline: load the data source (a file, a bundled dataset, the seed's draws, or chunks
read lazily by Dask), split off the test set, fit the scaling, set up the callbacks (printed
lines, history, checkpoints, Ctrl-C, a progress bar), train on the chosen backend, then write
the model file, the history and the plot together and report the metrics.

:func:`train_on_cluster` is the same from Python for data too large for one machine: open it,
start or join a Dask cluster, train there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twolayer.backend import is_dask_array
from twolayer.config import TrainConfig
from twolayer.data.chunks import open_data
from twolayer.data.csv import dataset_csv, rows_csv
from twolayer.data.datasets import table_file
from twolayer.data.prep import Dataset, Preprocessing, fit_preprocessing
from twolayer.data.sources import check_source, load_source
from twolayer.data.splits import held_out, validation_split
from twolayer.errors import ConfigError, DataError, ModelFileError
from twolayer.io.memory import check_network
from twolayer.io.writing import Writer, check_distinct, check_writable, write_all
from twolayer.nn.model import Params
from twolayer.on_backend import train_on_backend
from twolayer.on_backend import train_on_cluster as train_on_cluster  # twolayer.run's, too
from twolayer.outputs.callbacks import (
    Checkpoint,
    HistoryLog,
    PrintLosses,
    ProgressBar,
    StopOnInterrupt,
    around_bar,
    wants_bar,
)
from twolayer.outputs.doctor import diagnose
from twolayer.outputs.history import history_format, history_writer
from twolayer.outputs.modelfile import ModelFile
from twolayer.outputs.plot import check_image_path, plot_writer, require_matplotlib
from twolayer.outputs.report import describe_run, loss_columns, print_report, set_metrics
from twolayer.outputs.trained import Model
from twolayer.state import Callback, TrainResult

INTERRUPT_CHECKPOINT = "twolayer-checkpoint.npz"  # where Ctrl-C saves a run that has no --out


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


@dataclass(frozen=True)
class Session:
    """What one training session is asked to do.

    Attributes
    ----------
    source : the data, as a description a model file keeps (``kind``: file, dataset, random
        or chunks; ``test_fraction``, ``standardize``; see ``twolayer.data.sources.load_source``)
    configure : the training configuration for the data's task (``"regression"``,
        ``"classification"`` or ``"multilabel"``), its number of training rows and, for
        classification, the rows of its smallest class; not called when resuming
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
    configure: Callable[..., TrainConfig]
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


@dataclass
class _Data:
    """The training arrays of a session and what describes them."""

    x: Any  # (N, D_in), scaled: NumPy, or Dask for chunks
    y: Any  # (N, D_out), scaled
    prep: Preprocessing
    config: TrainConfig
    train_set: Dataset | None  # in memory only: the metrics need it
    test_set: Dataset | None
    names: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    seed_params: Params | None = None
    dataset: Dataset | None = None  # all the rows read (in memory only)


def load(session: Session) -> _Data:
    """The session's data source, split and scaled (chunks: opened lazily, as they are)."""
    source, saved = session.source, session.saved
    if source["kind"] == "chunks":
        x, y = open_data(source["path"])
        config = session.configure("regression")
        return _Data(x, y, Preprocessing(), config, None, None)
    try:
        dataset, seed_params = load_source(source)
    except ConfigError as exc:  # the seed's draws it asks for cannot fit in memory
        if saved is None:
            raise
        raise ModelFileError(f"{session.resume}: metadata field 'source': {exc}") from None
    if saved is None:
        source["fingerprint"] = dataset.fingerprint()
        if source["kind"] == "file":  # kept absolute, so a resume works from anywhere
            source["paths"] = [str(Path(p).resolve()) for p in source["paths"]]
        config = session.configure(dataset.task, *_sizes(dataset, source["test_fraction"]))
    else:
        if dataset.fingerprint() != source.get("fingerprint"):
            raise DataError(f"{session.resume}: the training data changed since it was saved")
        assert saved.model.config is not None
        assert saved.state is not None
        config = saved.model.config
        done = saved.state.iteration
        if session.iterations is not None:
            if session.iterations <= done:
                raise ConfigError(
                    f"--iterations {session.iterations}: {session.resume} has done {done} "
                    "iterations already; ask for more to continue it"
                )
            config = config.replace(iterations=session.iterations)
        elif done >= config.iterations:
            raise ConfigError(
                f"{session.resume} has run all its {done} iterations; pass --iterations with a "
                "larger total to continue it"
            )
    train_set, test_set = dataset.split(source["test_fraction"], config.seed)
    try:
        prep = saved.model.preprocessing if saved else fit_preprocessing(
            train_set.x, train_set.targets(), dataset.task, standardize=source["standardize"],
            weight=train_set.weight, columns=dataset.columns, missing=dataset.missing,
            feature_names=dataset.feature_names, target_names=dataset.target_names,
        )  # fmt: skip
    except DataError as exc:
        raise DataError(f"{dataset.name}: {exc}") from None
    x, y = prep.inputs(train_set.x), prep.targets(train_set.targets())
    features = dataset.feature_names if prep.encoding is None else prep.encoding.feature_names
    names = (features, dataset.target_names)
    return _Data(x, y, prep, config, train_set, test_set, names, seed_params, dataset)


def _sizes(dataset: Dataset, test_fraction: float) -> tuple[int, int | None]:
    """The training rows left by the test split, and the rows of the smallest class."""
    n = dataset.n_samples - held_out(dataset.n_samples, test_fraction)
    smallest = None
    if dataset.task == "classification" and dataset.y is not None:
        smallest = int(np.unique(dataset.y, return_counts=True)[1].min())
    return n, smallest


def initial_params(seed_params: Params | None, config: TrainConfig) -> Params | None:
    """The seed's own standard-normal weights when ``init`` is the seed's (zero biases added),
    else None so ``train`` draws them."""
    if seed_params is None or config.init != "normal":
        return None
    params = seed_params
    if config.bias:
        hidden, d_out = params.w2.shape
        params = Params(params.w1, params.w2, np.zeros(hidden), np.zeros(d_out))
    return params.map(lambda p: p.astype(config.dtype))


def run(session: Session) -> int:
    """Run the session; return the exit code (0, or 130 when Ctrl-C stopped it)."""
    if session.saved is not None:  # the source a model file describes, checked field by field
        try:
            check_source(session.source)
        except DataError as exc:
            raise ModelFileError(f"{session.resume}: metadata field 'source': {exc}") from None
    check_outputs(session)
    saved, source = session.saved, session.source
    data = load(session)
    config = data.config
    if data.train_set is not None:  # in memory: check what training adds before it starts
        hidden = "hidden" if saved else "--hidden"
        check_network({"samples": data.x.shape[0], "inputs": data.x.shape[1],
                       hidden: config.hidden, "outputs": data.y.shape[1]})  # fmt: skip

    n = int(data.x.shape[0])
    n_val = held_out(n, config.validation_fraction)
    samples = {"train": n - n_val, "validation": n_val}  # what the plot divides sums by
    real = source["kind"] in ("file", "dataset")
    if data.dataset is not None and saved is None:
        for note in data.dataset.notes:
            print(f"{session.prog}: {note}", file=sys.stderr)
        if real:
            print(f"{session.prog}: {describe_run(data.dataset, data.names[0], config)}",
                  file=sys.stderr)  # fmt: skip

    def make_model(params: Params, summary: dict[str, Any]) -> Model:
        return Model(params, config.activation, config.loss, data.prep, config,
                     *data.names, {**summary, "samples": samples}, source)  # fmt: skip

    out = session.out or session.resume
    log = HistoryLog(saved.history if saved else ())
    saver = Checkpoint(out or interrupt_checkpoint(), make_model, log, session.checkpoint_every)
    stop = StopOnInterrupt()
    bar = wants_bar(sys.stderr, quiet=session.quiet)
    columns = loss_columns(config, samples, real=real)
    printer = PrintLosses(around_bar(sys.stdout) if bar else None, quiet=session.quiet,
                          per_sample=columns.per_sample, header=columns.header)  # fmt: skip
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        callbacks: list[Callback] = [printer, log, saver, stack.enter_context(stop.catching())]
        if bar:
            done = saved.state.iteration if saved and saved.state else 0
            callbacks.append(stack.enter_context(ProgressBar(config.iterations, initial=done)))
        result = train_on_backend(
            (session.backend, session.device, session.scheduler), data.x, data.y, config,
            None if saved else initial_params(data.seed_params, config),
            callbacks=callbacks, state=saved.state if saved else None,
            sample_weight=None if data.train_set is None else data.train_set.weight,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    if stop.requested:
        _, checkpoint = saver.prepare(result.state, stop_reason="interrupted")
        write_outputs(session, [(saver.path, checkpoint)], log.rows, config.loss, samples)
        print(
            f"{session.prog}: interrupted after iteration {result.state.iteration - 1}; "
            f"checkpoint saved to {saver.path}; continue with: twolayer train --resume "
            f"{saver.path}",
            file=sys.stderr,
        )
        return 130
    files = split_writers(session, data)
    if out:
        model, checkpoint = saver.prepare(result.state, stop_reason=result.stop_reason)
        write_outputs(session, [(out, checkpoint), *files], log.rows, config.loss, samples)
    else:
        model = make_model(result.params, {})
        write_outputs(session, files, log.rows, config.loss, samples)
    report(session, model, result, data, seconds, out)
    return 0


def split_writers(session: Session, data: _Data) -> list[tuple[str | Path, Writer]]:
    """``--save-split``'s files: the training and the test rows, with the data's own columns
    (a file's rows as they were; a bundled dataset's as ``twolayer datasets export`` writes)."""
    if session.save_split is None or data.train_set is None or data.test_set is None:
        return []
    source = session.source
    path = source["paths"][0] if source["kind"] == "file" else table_file(source["name"])
    texts = []
    for part in (data.train_set, data.test_set):
        if part.rows is not None and path is not None:
            texts.append(rows_csv(path, part.rows.tolist()))
        else:
            texts.append(dataset_csv(part))
    Path(session.save_split).mkdir(exist_ok=True)
    return [(path, _text_writer(text)) for path, text in zip(split_files(session), texts,
                                                            strict=True)]  # fmt: skip


def _text_writer(text: str) -> Writer:
    data = text.encode("utf-8")
    return lambda f: f.write(data)


def write_outputs(
    session: Session, model: list[tuple[str | Path, Writer]], rows: list[dict[str, Any]],
    loss: str, samples: dict[str, int],
) -> None:  # fmt: skip
    """Write the model file (``model``: its path and writer, when there is one, and any other
    file of the run given with it), the ``--history`` file and the ``--plot`` image (of the
    named ``loss``, sums divided by the ``samples`` of each set) together: all of them, or,
    when one fails, none (the old files stay as they were)."""
    outputs = list(model)
    if session.history:
        outputs.append((session.history, history_writer(rows, session.history)))
    if session.plot:
        outputs.append((session.plot, plot_writer(rows, session.plot, loss=loss, samples=samples)))
    write_all(outputs, error=ModelFileError if model else DataError)


def report(
    session: Session, model: Model, result: TrainResult, data: _Data, seconds: float,
    out: str | None,
) -> None:  # fmt: skip
    """Metrics on the training, validation and test sets held in memory (or on chunked data),
    the notes on how the run ended, and with ``json`` one JSON line
    (:mod:`twolayer.outputs.report`)."""
    config, train_set = data.config, data.train_set
    sets: dict[str, Dataset] = {}
    if train_set is not None:
        sets = {"train": train_set}
        if config.validation_fraction > 0:
            labels = train_set.y if config.loss == "cross_entropy" else None  # as train splits
            fit_idx, val_idx = validation_split(
                train_set.n_samples, config.validation_fraction, config.seed, labels
            )
            sets = {"train": train_set.subset(fit_idx), "validation": train_set.subset(val_idx)}
        if data.test_set is not None:
            sets["test"] = data.test_set
    chunked = (data.x, data.y) if train_set is None and is_dask_array(data.x) else None
    print_report(
        model, result, set_metrics(model, sets, chunked), seconds=seconds, out=out,
        real_data=session.source["kind"] != "random", json_line=session.json, prog=session.prog,
    )  # fmt: skip
    if session.diagnose:
        x = None if chunked is not None else data.x
        findings = diagnose(result.history, result.params, config, x)
        lines = [f.line() for f in findings] or ["nothing to flag: the run looks healthy"]
        for line in lines:
            print(f"{session.prog}: doctor: {line}", file=sys.stderr)
