"""A trained model out of twolayer: written for another runtime, run there, and compared.

:func:`export_model` writes a :class:`~twolayer.outputs.trained.Model` (or a fitted estimator's)
in a format other programs run, includes its preprocessing (scaling, a table's encoding, the
class labels), then runs the written file in its own runtime on check rows drawn from the
model's own statistics (:func:`check_rows`) and compares its answers with
:meth:`Model.predict` and :meth:`Model.predict_proba`.  The largest difference is recorded in
the file; an export that differs by more than :data:`TOLERANCE` (relative, float64) is refused
and nothing is written.

Formats: ``numpy``, one ``.py`` file needing only NumPy (:mod:`twolayer.export.numpy_code`);
``torch``, a TorchScript ``.pt`` file (:mod:`twolayer.export.torchscript`, PyTorch needed to
write and to run it); ``onnx``, an ONNX graph (:mod:`twolayer.export.onnx_graph`, the ``onnx``
package needed; run by onnxruntime when installed, else by ONNX's reference evaluator).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer._version import installed_version
from twolayer.backend import import_optional
from twolayer.errors import ConfigError, ModelFileError, choice_error
from twolayer.export.numpy_code import numpy_source
from twolayer.io.writing import atomic_write, check_writable
from twolayer.outputs.trained import Model

FORMATS = {"numpy": ".py", "torch": ".pt", "onnx": ".onnx"}
"""Each format and the suffix of its file."""
TOLERANCE = 1e-6
"""The largest relative difference an export may show against ``twolayer predict`` (float64)."""
CHECK_ROWS = 64


@dataclass(frozen=True)
class Exported:
    """What :func:`export_model` wrote and measured."""

    path: Path
    format: str
    max_difference: float  # the largest relative difference on the check rows
    rows: int


def as_model(model: Any) -> Model:
    """A Model, or a fitted estimator's (``model_``)."""
    if isinstance(model, Model):
        return model
    fitted = getattr(model, "model_", None)
    if isinstance(fitted, Model):
        return fitted
    raise ConfigError("export takes a twolayer Model or a fitted TwoLayerRegressor or "
                      "TwoLayerClassifier")  # fmt: skip


def check_rows(model: Model, n: int = CHECK_ROWS, seed: int = 0) -> NDArray[Any]:
    """Rows to compare an export on, drawn from the model's own statistics: numbers around the
    training mean and spread; for a table, its categories (also unseen and missing ones),
    numbers around the fill values, dates as ISO text, yes/no words."""
    rng = np.random.default_rng(seed)
    prep = model.preprocessing
    if prep.encoding is None:
        d_in = model.n_features
        mean = np.zeros(d_in) if prep.x_scaler is None else prep.x_scaler.mean
        scale = np.ones(d_in) if prep.x_scaler is None else prep.x_scaler.scale
        return np.asarray(mean + scale * rng.standard_normal((n, d_in)))
    cells = np.empty((n, len(prep.encoding.parts)), dtype=object)
    for j, part in enumerate(prep.encoding.parts):
        kind = part.column.kind
        if kind == "category":
            choices = [*part.categories, *part.grouped, "never seen", None]
            cells[:, j] = [choices[k] for k in rng.integers(0, len(choices), n)]
        elif kind == "boolean":
            cells[:, j] = [part.column.words[k] for k in rng.integers(0, 2, n)]
        elif kind == "date":
            days = part.fill + rng.integers(-400, 400, n)
            cells[:, j] = [str(np.datetime64(int(d), "D")) for d in days]
            if part.column.order != "ymd":
                cells[:, j] = [_day_first(c, part.column.order) for c in cells[:, j]]
        else:
            spread = max(abs(part.fill), 1.0)
            cells[:, j] = [repr(float(v)) for v in part.fill + spread * rng.standard_normal(n)]
        cells[rng.random(n) < 0.1, j] = "NA"
    return cells


def _day_first(iso: str, order: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}" if order == "dmy" else f"{m}/{d}/{y}"


def export_model(model: Any, path: str | Path, format: str = "numpy") -> Exported:
    """Write ``model`` to ``path`` in ``format``, checked against its own answers first."""
    model = as_model(model)
    if format not in FORMATS:
        raise choice_error("export format", format, FORMATS)
    path = Path(path)
    if path.suffix != FORMATS[format]:
        raise ConfigError(f"{path}: {format} exports are {FORMATS[format]} files")
    check_writable(path, "--out")
    rows = check_rows(model)
    header = {"twolayer_version": installed_version(), "format": format,
              "module": path.stem, "check_rows": len(rows)}  # fmt: skip
    if format == "torch":
        return _export_torch(model, path, rows, header)
    if format == "onnx":
        return _export_onnx(model, path, rows, header)
    text = numpy_source(model, header)
    difference = _compare(model, text, rows)
    _refuse_above(difference, format)
    header["max_relative_difference"] = difference
    final = numpy_source(model, header)
    atomic_write(path, lambda f: f.write(final.encode("utf-8")))
    return Exported(path, format, difference, len(rows))


def _refuse_above(difference: float, format: str) -> None:
    if not difference <= TOLERANCE:
        raise ModelFileError(
            f"the {format} export differs from twolayer's answers by {difference:.3g} "
            f"(relative), more than {TOLERANCE:g}; not written"
        )


def _export_torch(model: Model, path: Path, rows: NDArray[Any], header: dict[str, Any]) -> Exported:
    """A TorchScript file, loaded in a fresh process by ``torch.jit.load`` and compared."""
    import_optional("torch", "PyTorch", "torch")
    from twolayer.export import torchscript
    from twolayer.nn.activations import LEAKY_SLOPE

    _numbers_only(model)
    prep = model.preprocessing
    ours = model.predict(rows) if prep.classes is None else model.predict_proba(rows)
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "model.pt"
        torchscript.save(model, str(file), LEAKY_SLOPE)
        theirs = _run_fresh(torchscript.RUNNER, file, rows)
        difference = _relative(np.asarray(ours), np.asarray(theirs["answers"]))
        known = prep.classes
        labels = [] if known is None or prep.multilabel else [str(c) for c in known.tolist()]
        if theirs["classes"] != labels:
            difference = math.inf
        _refuse_above(difference, "torch")
        header["max_relative_difference"] = difference
        torchscript.save_with(model, str(file), LEAKY_SLOPE, json.dumps(header))
        data = file.read_bytes()
    atomic_write(path, lambda f: f.write(data))
    return Exported(path, "torch", difference, len(rows))


def _export_onnx(model: Model, path: Path, rows: NDArray[Any], header: dict[str, Any]) -> Exported:
    """An ONNX graph, run in a fresh process and compared (labels exactly, values and
    probabilities relative)."""
    import_optional("onnx", "ONNX", "onnx")
    from twolayer.export import onnx_graph

    _numbers_only(model)
    prep = model.preprocessing
    metadata = {k: str(v) for k, v in header.items()}
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "model.onnx"
        file.write_bytes(onnx_graph.build(model, metadata).SerializeToString())
        theirs = _run_fresh(onnx_graph.RUNNER, file, rows)["outputs"]
    labels = model.predict(rows)
    if prep.classes is None:
        difference = _relative(np.asarray(labels), np.asarray(theirs["label"]))
    else:
        same = np.array_equal(
            np.asarray(labels).astype(str), np.asarray(theirs["label"]).astype(str)
        )
        difference = _relative(model.predict_proba(rows), np.asarray(theirs["probabilities"]))
        difference = difference if same else math.inf
    _refuse_above(difference, "onnx")
    header["max_relative_difference"] = difference
    final = onnx_graph.build(model, {k: str(v) for k, v in header.items()}).SerializeToString()
    atomic_write(path, lambda f: f.write(final))
    return Exported(path, "onnx", difference, len(rows))


def _numbers_only(model: Model) -> None:
    if model.preprocessing.encoding is not None:
        raise ConfigError("a model trained on a table reads text cells: export it with --format "
                          "numpy, which carries its encoding")  # fmt: skip


def _run_fresh(runner: str, file: Path, rows: NDArray[Any]) -> Any:
    """Run ``runner`` (a script taking the exported file and a ``.npy`` of rows, printing JSON)
    in a fresh Python process on ``rows``; what it printed."""
    np.save(file.parent / "rows.npy", np.asarray(rows, dtype=np.float64))
    done = subprocess.run([sys.executable, "-I", "-c", runner, str(file),
                           str(file.parent / "rows.npy")], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelFileError(f"the exported file failed to run: {last}")
    return json.loads(done.stdout)


def _relative(a: NDArray[Any], b: NDArray[Any]) -> float:
    """The largest difference of ``b`` from ``a``, relative to ``a``'s largest size."""
    if a.shape != b.shape:
        return math.inf
    scale = max(float(np.abs(a).max()), 1e-300)
    return float(np.abs(a - b.astype(a.dtype)).max()) / scale


def _compare(model: Model, text: str, rows: NDArray[Any]) -> float:
    """Import ``text`` in a fresh Python process, run it on ``rows``; the largest relative
    difference from :meth:`Model.predict` (and :meth:`Model.predict_proba`)."""
    ours = {"predict": model.predict(rows)}
    if model.preprocessing.classes is not None:
        ours["predict_proba"] = model.predict_proba(rows)
    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / "exported_model.py"
        module.write_text(text, encoding="utf-8")
        np.save(Path(folder) / "rows.npy", rows, allow_pickle=rows.dtype == object)
        script = (
            "import json, sys, numpy as np\n"
            f"sys.path.insert(0, {folder!r})\n"
            "import exported_model as m\n"
            f"rows = np.load({str(Path(folder) / 'rows.npy')!r}, allow_pickle=True)\n"
            "out = {'predict': m.predict(rows).tolist()}\n"
            "if hasattr(m, 'predict_proba'):\n"
            "    out['predict_proba'] = m.predict_proba(rows).tolist()\n"
            "print(json.dumps(out))\n"
        )
        done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,
                              text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelFileError(f"the exported file failed to run: {last}")
    theirs = json.loads(done.stdout)
    worst = 0.0
    for key, value in ours.items():
        a = np.asarray(value)
        b = np.asarray(theirs[key], dtype=a.dtype)
        if a.dtype.kind in "fc":
            worst = max(worst, _relative(a, b))
        elif not np.array_equal(a, b):
            return math.inf
    return worst


__all__ = ["CHECK_ROWS", "FORMATS", "TOLERANCE", "Exported", "check_rows", "export_model"]
