"""Data in: file loaders, bundled datasets, the seed's draws, chunked data on disk, splitting
and scaling.

Everything here turns something outside the program into plain NumPy arrays (lazy Dask arrays
for chunked data), or says precisely why it cannot, with a :class:`~twolayer.errors.DataError`
naming the file and, where it applies, the row and column.  Nothing here trains; ``train``
never knows where its arrays came from.

Sources (``docs/data.md`` shows each from the command line):

* :mod:`twolayer.data.table`: CSV (``.csv``, ``.txt``; tab-separated ``.tsv``) tables, their
  columns typed (:mod:`twolayer.data.columns`) and encoded (:mod:`twolayer.data.encoding`);
  :mod:`twolayer.data.csv` reads the cells.
* :mod:`twolayer.data.datasets`: ``.npy`` pairs and ``.npz`` archives (never unpickled), the
  datasets that ship inside scikit-learn (``digits``, ``diabetes``, ``linnerud``), ``random``
  (the seed's draws); :mod:`twolayer.data.sources`: the source descriptions that model files
  keep, checked and loaded again.
* :mod:`twolayer.data.classic`: the seed's experiment, its exact random draws and printed lines
  (``docs/seed/000_a9de79f32e810abc.txt``).
* :mod:`twolayer.data.chunks`: directories of ``.npy`` chunk files and Zarr stores, opened
  lazily as Dask arrays.

:mod:`twolayer.data.prep` holds the :class:`Dataset` type, the seeded test and validation
splits, standardisation and class labels.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twolayer.data.chunks import open_data, save_chunks, save_zarr
    from twolayer.data.classic import SeedProblem, seed_draws
    from twolayer.data.columns import MISSING_WORDS, Column
    from twolayer.data.csv import (
        CSV_SUFFIXES,
        labels_from_text,
        read_csv_table,
    )
    from twolayer.data.datasets import (
        DATASETS,
        load_dataset,
        load_file,
        load_inputs,
        load_npy_pair,
        load_npz,
        random_dataset,
    )
    from twolayer.data.encoding import TableEncoding
    from twolayer.data.prep import (
        Dataset,
        FloatArray,
        Preprocessing,
        Scaler,
        Task,
        fit_preprocessing,
        label_indices,
        one_hot,
    )
    from twolayer.data.sources import load_source
    from twolayer.data.splits import (
        TEST_STREAM,
        VALIDATION_STREAM,
        SplitStream,
        split_indices,
        validation_split,
    )
    from twolayer.data.table import load_table, read_table

# Imported on first use, as the package root does: ``twolayer.data.classic`` (the seed's draws,
# all ``twolayer seed`` needs) must not pull in the CSV and file loaders at start-up.
_LAZY = {
    "open_data": "chunks",
    "save_chunks": "chunks",
    "save_zarr": "chunks",
    "SeedProblem": "classic",
    "seed_draws": "classic",
    "CSV_SUFFIXES": "csv",
    "labels_from_text": "csv",
    "MISSING_WORDS": "columns",
    "Column": "columns",
    "TableEncoding": "encoding",
    "load_table": "table",
    "read_table": "table",
    "read_csv_table": "csv",
    "DATASETS": "datasets",
    "load_dataset": "datasets",
    "load_file": "datasets",
    "load_inputs": "datasets",
    "load_npy_pair": "datasets",
    "load_npz": "datasets",
    "load_source": "sources",
    "random_dataset": "datasets",
    "TEST_STREAM": "splits",
    "VALIDATION_STREAM": "splits",
    "Dataset": "prep",
    "FloatArray": "prep",
    "Preprocessing": "prep",
    "Scaler": "prep",
    "SplitStream": "splits",
    "Task": "prep",
    "fit_preprocessing": "prep",
    "label_indices": "prep",
    "one_hot": "prep",
    "split_indices": "splits",
    "validation_split": "splits",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"twolayer.data.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'twolayer.data' has no attribute {name!r}")


__all__ = [
    "CSV_SUFFIXES",
    "DATASETS",
    "MISSING_WORDS",
    "TEST_STREAM",
    "VALIDATION_STREAM",
    "Column",
    "Dataset",
    "FloatArray",
    "Preprocessing",
    "Scaler",
    "SeedProblem",
    "SplitStream",
    "TableEncoding",
    "Task",
    "fit_preprocessing",
    "label_indices",
    "labels_from_text",
    "load_dataset",
    "load_file",
    "load_inputs",
    "load_npy_pair",
    "load_npz",
    "load_source",
    "load_table",
    "one_hot",
    "open_data",
    "random_dataset",
    "read_csv_table",
    "read_table",
    "save_chunks",
    "save_zarr",
    "seed_draws",
    "split_indices",
    "validation_split",
]
