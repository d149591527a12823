"""Exports: the written file, imported fresh, answers as twolayer does (bit for bit here); a
file that would not is refused and nothing is written."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from helpers import assert_one_error, run_cli
from twolayer.config import TrainConfig
from twolayer.data.columns import Column
from twolayer.data.prep import fit_preprocessing
from twolayer.errors import ConfigError, ModelFileError
from twolayer.export import check_rows, export_model
from twolayer.export.numpy_code import ACTIVATION_CODE
from twolayer.nn import activations
from twolayer.outputs.modelfile import save_model
from twolayer.outputs.trained import Model
from twolayer.train import train


def fitted(task: str, activation: str = "tanh", columns: Any = None) -> tuple[Model, Any]:
    rng = np.random.default_rng(1)
    x: Any = rng.normal(5.0, 3.0, size=(60, 3))
    if task == "regression":
        y = np.stack([x[:, 0] * 2, x[:, 1] - x[:, 2]], axis=1) * 10
    elif task == "classification":
        y = np.asarray(["low", "mid", "high"])[np.digitize(x[:, 0], [3.0, 7.0])]
    else:
        y = (x[:, :2] > 5).astype(int)
    if columns is not None:  # a table: a category column, a date, a number with NA
        x = np.asarray([[("red", "blue", "")[i % 3], f"2024-0{1 + i % 9}-1{i % 10}",
                         "NA" if i % 7 == 0 else f"{v:.3f}"] for i, v in enumerate(x[:, 0])],
                       dtype=object)  # fmt: skip
    prep = fit_preprocessing(x, y, task, columns=columns)  # type: ignore[arg-type]
    loss = {"regression": "mse", "classification": "cross_entropy"}.get(task,
                                                                        "binary_cross_entropy")  # fmt: skip
    config = TrainConfig(iterations=20, bias=True, init="he", optimizer="adam", lr=1e-2,
                         loss=loss, activation=activation, seed=0)  # fmt: skip
    result = train(prep.inputs(x), prep.targets(y), config)
    return Model(result.params, activation, loss, prep, config, ("a", "b", "c")), x


def imported(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import does (its dataclasses look themselves up)
    spec.loader.exec_module(module)
    return module


CASES = [("regression", "tanh", None), ("regression", "relu", None),
         ("classification", "logistic", None), ("multilabel", "leaky_relu", None),
         ("regression", "identity", (Column("colour", "category"), Column("day", "date"),
                                     Column("size", "number")))]  # fmt: skip


@pytest.mark.parametrize(("task", "activation", "columns"), CASES)
def test_the_numpy_file_answers_as_twolayer_does(
    tmp_path: Path, task: str, activation: str, columns: Any
) -> None:
    model, x = fitted(task, activation, columns)
    done = export_model(model, tmp_path / "m.py")
    assert done.max_difference == 0.0 and done.rows == 64
    module = imported(tmp_path / "m.py")
    assert module.EXPORT["max_relative_difference"] == 0.0
    np.testing.assert_array_equal(module.predict(x), model.predict(x))  # the training rows
    if model.preprocessing.classes is not None:
        np.testing.assert_array_equal(module.predict_proba(x), model.predict_proba(x))
    text = (tmp_path / "m.py").read_text()
    assert "import twolayer" not in text and "from twolayer" not in text  # NumPy only


def test_each_activation_is_written_as_twolayer_computes_it() -> None:
    h = np.linspace(-3, 3, 13).reshape(1, -1)
    for name, code in ACTIVATION_CODE.items():
        written = eval(code, {"np": np, "h": h})  # the expression the file holds
        np.testing.assert_array_equal(written, activations.get_activation(name).forward(h))
    assert set(ACTIVATION_CODE) == set(activations.ACTIVATIONS)


def test_an_export_that_would_differ_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = fitted("regression", "tanh")
    monkeypatch.setitem(ACTIVATION_CODE, "tanh", "np.tanh(h) * 1.001")
    with pytest.raises(ModelFileError, match=r"differs from twolayer's answers by .* not written"):
        export_model(model, tmp_path / "m.py")
    assert list(tmp_path.iterdir()) == []


def test_check_rows_cover_unseen_and_missing_cells() -> None:
    columns = (Column("colour", "category"), Column("day", "date"), Column("size", "number"))
    model, _ = fitted("regression", "identity", columns)
    rows = check_rows(model)
    assert rows.shape == (64, 3)
    assert {"never seen", None, "NA"} & set(rows[:, 0].tolist())
    assert all(isinstance(c, str) for c in rows[:, 1])


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    model, _ = fitted("regression")
    with pytest.raises(ConfigError, match=r"numpy exports are \.py files"):
        export_model(model, tmp_path / "m.txt")
    with pytest.raises(ConfigError, match="unknown export format 'onnx2'"):
        export_model(model, tmp_path / "m.py", "onnx2")
    with pytest.raises(ConfigError, match="export takes a twolayer Model"):
        export_model(object(), tmp_path / "m.py")


def test_the_command_exports_a_model_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    model, x = fitted("classification", "relu")
    save_model("m.npz", model)
    code, out, err = run_cli(["export", "m.npz", "--out", "classifier.py"], capsys)
    assert code == 0, err
    assert out == ("wrote classifier.py: numpy; on 64 check rows its answers differ from "
                   "twolayer's by at most 0 (relative)\n")  # fmt: skip
    np.testing.assert_array_equal(imported(Path("classifier.py")).predict(x), model.predict(x))
    code, out, err = run_cli(["export", "m.npz", "--out", "m.npz"], capsys)
    assert_one_error(code, out, err, "is the same file as MODEL")


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize(("task", "activation"), [("regression", "tanh"), ("regression", "relu"),
                                                  ("classification", "leaky_relu"),
                                                  ("multilabel", "logistic"),
                                                  ("classification", "identity")])  # fmt: skip
def test_the_torchscript_file_answers_as_twolayer_does(
    tmp_path: Path, task: str, activation: str
) -> None:
    torch = pytest.importorskip("torch")
    model, x = fitted(task, activation)
    done = export_model(model, tmp_path / "m.pt", "torch")
    assert done.max_difference <= 1e-12
    extra = {"twolayer.json": ""}
    module = torch.jit.load(str(tmp_path / "m.pt"), _extra_files=extra)
    assert json.loads(extra["twolayer.json"])["max_relative_difference"] == done.max_difference
    with torch.no_grad():
        theirs = module(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()
    ours = model.predict(x) if task == "regression" else model.predict_proba(x)
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-15)
    if task == "classification":
        assert list(module.classes) == ["high", "low", "mid"]
        labels = np.asarray(module.classes)[theirs.argmax(axis=1)]
        np.testing.assert_array_equal(labels, model.predict(x))


def test_a_table_model_exports_to_numpy_only(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    columns = (Column("colour", "category"), Column("day", "date"), Column("size", "number"))
    model, _ = fitted("regression", "identity", columns)
    with pytest.raises(ConfigError, match="export it with --format numpy"):
        export_model(model, tmp_path / "m.pt", "torch")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("task", "activation"), [("regression", "tanh"), ("regression", "relu"),
                                                  ("classification", "logistic"),
                                                  ("multilabel", "leaky_relu"),
                                                  ("classification", "identity")])  # fmt: skip
def test_the_onnx_graph_answers_as_twolayer_does(
    tmp_path: Path, task: str, activation: str
) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    model, x = fitted(task, activation)
    done = export_model(model, tmp_path / "m.onnx", "onnx")
    assert done.max_difference <= 1e-9  # onnxruntime's own exp and tanh: the last few bits
    graph = onnx.load(str(tmp_path / "m.onnx"))
    props = {p.key: p.value for p in graph.metadata_props}
    assert float(props["max_relative_difference"]) == done.max_difference
    found = ReferenceEvaluator(graph).run(None, {"x": np.asarray(x, dtype=np.float64)})
    labels = np.asarray(found[0])
    if task == "regression":
        np.testing.assert_allclose(labels, model.predict(x), rtol=1e-9)
    else:
        expected = model.predict(x)
        shown = labels.astype(str) if expected.dtype.kind == "U" else labels
        np.testing.assert_array_equal(shown, expected)
        np.testing.assert_allclose(found[1], model.predict_proba(x), rtol=1e-8, atol=1e-10)


def test_the_onnx_export_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("onnx")
    monkeypatch.chdir(tmp_path)
    model, _ = fitted("classification", "relu")
    save_model("m.npz", model)
    code, out, err = run_cli(["export", "m.npz", "--format", "onnx", "--out", "m.onnx"], capsys)
    assert code == 0, err
    assert out.startswith("wrote m.onnx: onnx; on 64 check rows its answers differ")
    code, out, err = run_cli(["export", "m.npz", "--format", "onnx", "--out", "m.py"], capsys)
    assert_one_error(code, out, err, "onnx exports are .onnx files")
