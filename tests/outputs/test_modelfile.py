"""Model files: exact round trips, bit-identical resume, safe writing, and every bad file."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twolayer.config import TrainConfig
from twolayer.data import fit_preprocessing
from twolayer.data.classic import SeedProblem
from twolayer.errors import DataError, ModelFileError
from twolayer.nn.model import Params
from twolayer.outputs.modelfile import FORMAT_VERSION, save_model
from twolayer.outputs.modelfile_reader import load_model, load_model_file
from twolayer.outputs.trained import Model
from twolayer.state import Callback, Record, TrainState
from twolayer.train import train

UNPICKLED: list[str] = []


def _payload() -> str:
    """Would run if an object array were ever unpickled."""
    UNPICKLED.append("ran")
    return "ran"


class _Evil:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_payload, ())


def problem(seed: int = 0, n: int = 40, classes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]
    if classes:
        return x, np.where(x[:, 0] > 0, "yes", "no")
    return x, np.stack([x[:, 0] - x[:, 1], 100 + 30 * x[:, 2]], axis=1)


def fitted(classes: bool = False, **changes: Any) -> tuple[Model, Any, np.ndarray]:
    x, y = problem(classes=classes)
    task = "classification" if classes else "regression"
    settings: dict[str, Any] = {
        "iterations": 20, "lr": 1e-2, "hidden": 8, "bias": True, "init": "he",
        "optimizer": "adam", "batch_size": 16, "seed": 3,
        "loss": "cross_entropy" if classes else "half_mse",
    }  # fmt: skip
    config = TrainConfig(**{**settings, **changes})
    prep = fit_preprocessing(x, y, task)
    result = train(prep.inputs(x), prep.targets(y), config)
    names = ("a", "b", "c")
    model = Model(result.params, config.activation, config.loss, prep, config, names,
                  ("t",) if classes else ("u", "v"), {"iterations": 20}, {"kind": "test"})  # fmt: skip
    return model, result, x


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [False, True])
def test_model_round_trip_is_exact(tmp_path: Path, classes: bool) -> None:
    model, result, x = fitted(classes)
    rows = [r.to_dict() for r in result.history]
    save_model(tmp_path / "m.npz", model, state=result.state, history=rows)
    saved = load_model_file(tmp_path / "m.npz")
    loaded = saved.model
    for name, value in model.params.named().items():
        assert np.array_equal(getattr(loaded.params, name), value)
        assert getattr(loaded.params, name).dtype == value.dtype
    assert loaded.config == model.config
    assert (loaded.activation, loaded.loss, loaded.task) == (model.activation, model.loss,
                                                             model.task)  # fmt: skip
    assert loaded.feature_names == ("a", "b", "c") and loaded.summary == {"iterations": 20}
    assert loaded.source == {"kind": "test"}
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert saved.history == rows
    assert saved.state is not None and saved.state.iteration == 20 and saved.state.step == 60
    if classes:
        assert loaded.preprocessing.classes is not None
        assert loaded.preprocessing.classes.tolist() == ["no", "yes"]
        assert set(loaded.predict(x).tolist()) <= {"no", "yes"}
        proba = loaded.predict_proba(x)
        assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
    else:
        prep = loaded.preprocessing
        assert prep.y_scaler is not None and model.preprocessing.y_scaler is not None
        assert np.array_equal(prep.y_scaler.mean, model.preprocessing.y_scaler.mean)


def test_regression_predictions_come_back_in_target_units() -> None:
    model, _, x = fitted(iterations=300)
    _, y = problem()
    predicted = model.predict(x)
    assert predicted.shape == (40, 2)
    assert np.abs(predicted - y).mean() < 0.1 * np.abs(y - y.mean(axis=0)).mean()


def test_seed_configuration_with_an_infinite_guard_round_trips(tmp_path: Path) -> None:
    config = SeedProblem(n=4, d_in=3, hidden=2, d_out=1).config()
    assert math.isinf(config.divergence_factor)
    params = Params(np.ones((3, 2)), np.ones((2, 1)))
    save_model(tmp_path / "m.npz", Model(params, config=config))
    assert load_model(tmp_path / "m.npz").config == config


# --- bit-identical resume ----------------------------------------------------------------------


class StopAt(Callback):
    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        return state.iteration == self.iteration


RESUMABLE = [
    {"optimizer": "adam", "batch_size": 7},
    {"optimizer": "adam", "batch_size": 7, "validation_fraction": 0.25, "early_stopping": True,
     "patience": 1000, "schedule": "plateau", "plateau_patience": 2},
    {"optimizer": "nesterov", "batch_size": 9},
    {"optimizer": "gd", "dtype": "float32"},
    {"optimizer": "adam", "n_iter_no_change": 1000, "tol": 1e-3, "tol_mode": "absolute",
     "scores": True},
]  # fmt: skip


@pytest.mark.parametrize("changes", RESUMABLE)
def test_stopped_and_resumed_run_equals_an_uninterrupted_one(
    tmp_path: Path, changes: dict[str, Any]
) -> None:
    raw_x, raw_y = problem(n=50)
    prep = fit_preprocessing(raw_x, raw_y)
    x, y = prep.inputs(raw_x), prep.targets(raw_y)
    settings = {"iterations": 30, "lr": 1e-2, "hidden": 6, "bias": True, "init": "he",
                "loss": "half_mse", "seed": 5}  # fmt: skip
    config = TrainConfig(**{**settings, **changes})
    whole = train(x, y, config)
    first = train(x, y, config, callbacks=[StopAt(11)])
    assert first.stop_reason == "callback" and first.state.iteration == 11
    save_model(tmp_path / "c.npz", Model(first.state.params, config=config), state=first.state)
    state = load_model_file(tmp_path / "c.npz").state
    assert state is not None
    rest = train(x, y, config, state=state)
    for name, value in whole.params.named().items():
        assert getattr(rest.params, name).tobytes() == value.tobytes(), name
    assert [r.loss for r in rest.history] == [r.loss for r in whole.history[11:]]
    assert [r.val_loss for r in rest.history] == [r.val_loss for r in whole.history[11:]]
    assert rest.state.convergence == whole.state.convergence
    assert [r.score for r in rest.history] == [r.score for r in whole.history[11:]]


# --- safe writing ------------------------------------------------------------------------------


def test_non_finite_weights_are_never_saved(tmp_path: Path) -> None:
    params = Params(np.array([[1.0, np.nan]]), np.ones((2, 1)))
    with pytest.raises(ModelFileError, match="'w1' holds NaN or infinite values"):
        save_model(tmp_path / "m.npz", Model(params))
    assert not (tmp_path / "m.npz").exists()


# --- bad model files ---------------------------------------------------------------------------


def saved_arrays(tmp_path: Path) -> dict[str, Any]:
    model, result, _ = fitted()
    save_model(tmp_path / "good.npz", model, state=result.state)
    with np.load(tmp_path / "good.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def rewrite(tmp_path: Path, arrays: dict[str, Any], **meta_changes: Any) -> Path:
    meta = json.loads(str(arrays["metadata"]))
    meta.update(meta_changes)
    path = tmp_path / "bad.npz"
    np.savez(path, **{**arrays, "metadata": np.asarray(json.dumps(meta))}, allow_pickle=True)
    return path


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    path = rewrite(tmp_path, saved_arrays(tmp_path), format_version=FORMAT_VERSION + 1)
    with pytest.raises(ModelFileError, match=rf"written in model format version {FORMAT_VERSION + 1}, "
                       rf"newer than this twolayer reads \({FORMAT_VERSION}\); upgrade"):  # fmt: skip
        load_model(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("w2"), "array 'w2' is missing"),
        (
            lambda a: a.update(w1=np.zeros((4, 8))),
            r"array 'w1' has shape \(4, 8\), expected \(3, 8\)",
        ),
        (lambda a: a.update(b1=np.full(8, np.inf)), "array 'b1' holds NaN or infinite values"),
        (lambda a: a.update(x_scale=np.zeros(3)), "'x_scale' holds a scale that is not positive"),
        (lambda a: a.pop("opt.m.w1"), "array 'opt.m.w1' is missing"),
        (lambda a: a.pop("metadata"), r"not a twolayer model file \(no metadata\)"),
        (lambda a: a.update(metadata=np.asarray("{oops")), "the metadata is not valid JSON"),
        (lambda a: a.update(w1=np.array([[_Evil()]], dtype=object)), "holds Python objects"),
    ],
)
def test_bad_arrays_give_precise_errors(tmp_path: Path, change: Any, message: str) -> None:
    arrays = saved_arrays(tmp_path)
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays, allow_pickle=True)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
    assert UNPICKLED == []


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"format": "other"}, "not a twolayer model file"),
        ({"sizes": [3, 8]}, "'sizes' must be three positive integers"),
        ({"activation": "swish"}, "unknown activation 'swish'"),
        (
            {"config": {**TrainConfig().to_dict(), "lr": -1.0}},
            "the training configuration is invalid: lr must be",
        ),
        ({"config": {"colour": 1}}, "unknown configuration keys: colour"),
        ({"task": "ranking"}, "unknown task 'ranking'"),
        ({"state": {"iteration": 1}}, "the training state is invalid"),
    ],
)
def test_bad_metadata_gives_precise_errors(
    tmp_path: Path, meta: dict[str, Any], message: str
) -> None:
    path = rewrite(tmp_path, saved_arrays(tmp_path), **meta)
    with pytest.raises(ModelFileError, match=message):
        load_model_file(path)


def test_truncated_and_corrupted_files(tmp_path: Path) -> None:
    saved_arrays(tmp_path)
    raw = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(ModelFileError, match=r"cut\.npz: not a valid \.npz archive"):
        load_model(tmp_path / "cut.npz")
    flipped = bytearray(raw)
    flipped[raw.index(b"w1.npy") + 200] ^= 0x01
    (tmp_path / "flip.npz").write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match="Bad CRC-32"):
        load_model(tmp_path / "flip.npz")
    with pytest.raises(ModelFileError, match=r"none\.npz: no such file"):
        load_model(tmp_path / "none.npz")


@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=3),
    cut=st.integers(0, 10**6),
)
def test_mangled_model_files_give_only_model_file_errors(
    tmp_path_factory: pytest.TempPathFactory, flips: list[tuple[int, int]], cut: int
) -> None:
    folder = tmp_path_factory.mktemp("mangled")
    good = folder / "good.npz"
    save_model(good, Model(Params(np.ones((2, 3)), np.ones((3, 1)), np.zeros(3), np.zeros(1))))
    raw = bytearray(good.read_bytes())
    for where, mask in flips:
        raw[where % len(raw)] ^= mask
    (folder / "m.npz").write_bytes(bytes(raw[: len(raw) - cut % 64]))
    with contextlib.suppress(ModelFileError):
        load_model_file(folder / "m.npz")


# --- format 2: a table's encoding ------------------------------------------------------------


def table_model(tmp_path: Path) -> tuple[Model, np.ndarray]:
    """A model trained on raw cells (a category with a missing cell, a date, a number)."""
    from twolayer.data.columns import Column

    x = np.asarray([["red", "2024-01-05", "1.5"], ["blue", "2024-06-01", "NA"],
                    ["", "2024-03-03", "2.5"], ["red", "2023-12-24", "4"]] * 5, dtype=object)  # fmt: skip
    y = np.arange(20.0).reshape(20, 1)
    columns = (Column("colour", "category"), Column("day", "date"), Column("size", "number"))
    prep = fit_preprocessing(x, y, "regression", columns=columns)
    config = TrainConfig(iterations=3, bias=True, init="he", seed=0)
    result = train(prep.inputs(x), prep.targets(y), config)
    return Model(result.params, config=config, preprocessing=prep), x


def test_a_table_model_keeps_its_encoding_exactly(tmp_path: Path) -> None:
    model, x = table_model(tmp_path)
    save_model(tmp_path / "t.npz", model)
    back = load_model(tmp_path / "t.npz")
    assert back.preprocessing.encoding == model.preprocessing.encoding
    assert back.predict(x).tobytes() == model.predict(x).tobytes()
    meta = json.loads(str(np.load(tmp_path / "t.npz")["metadata"]))
    assert meta["format_version"] == FORMAT_VERSION == 2
    assert meta["encoding"]["parts"][0]["categories"] == ["blue", "red"]


def test_a_version_1_file_still_loads(tmp_path: Path) -> None:
    arrays = saved_arrays(tmp_path)
    meta = json.loads(str(arrays["metadata"]))
    assert meta.get("encoding") is None  # numbers in: nothing to encode, as in version 1
    path = rewrite(tmp_path, arrays, format_version=1)
    model = load_model(path)
    assert model.preprocessing.encoding is None
    good = load_model(tmp_path / "good.npz")
    x = np.ones((2, good.params.sizes[0]))
    assert model.predict(x).tobytes() == good.predict(x).tobytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(parts="colour"), "metadata field 'encoding': must be an object"),
        (lambda e: e["parts"][2].update(fill="big"), "column 'size': fill must be a finite"),
        (lambda e: e["parts"].pop(), "makes 6 inputs but the network has 8"),
    ],
)
def test_a_damaged_encoding_is_refused(tmp_path: Path, change: Any, message: str) -> None:
    model, _ = table_model(tmp_path)
    save_model(tmp_path / "t.npz", model)
    with np.load(tmp_path / "t.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["metadata"]))
    change(meta["encoding"])
    path = rewrite(tmp_path, arrays, encoding=meta["encoding"])
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_text_given_to_a_model_of_numbers_is_a_data_error_naming_the_cell() -> None:
    model = Model(Params(np.ones((2, 3)), np.ones((3, 1))))
    with pytest.raises(DataError, match=r"x\[1, 0\] is 'abc', not a number: this model was "
                                        r"trained on numbers"):  # fmt: skip
        model.predict([[1.0, 2.0], ["abc", 1.0]])
    assert model.predict(np.array([["1", "2"]])).tolist() == [[9.0]]  # number text is fine
