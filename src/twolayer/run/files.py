"""What a session writes when it ends: the model file with the ``--history`` file, the
``--plot`` image and the ``--save-split`` rows, together: all of them, or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twolayer.data.csv import dataset_csv, rows_csv
from twolayer.data.datasets import table_file
from twolayer.errors import DataError, ModelFileError
from twolayer.io.writing import Writer, write_all
from twolayer.outputs.history import history_writer
from twolayer.outputs.plot import plot_writer
from twolayer.run.data import Prepared
from twolayer.run.request import Session, split_files


def split_writers(session: Session, data: Prepared) -> list[tuple[str | Path, Writer]]:
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


__all__ = ["split_writers", "write_outputs"]
