"""Input gradients and attributions of a trained model, checked against central differences of
its own answers (predict, predict_proba) in the raw inputs' units."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.data.columns import Column
from twolayer.data.prep import fit_preprocessing
from twolayer.errors import DataError
from twolayer.nn.model import Params, backward, forward, input_gradient
from twolayer.outputs.trained import Model
from twolayer.train import train

EPS = 1e-6


def fitted(task: str, activation: str = "tanh", d_out: int = 2) -> tuple[Model, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal([10.0, -3.0, 500.0], [2.0, 0.5, 80.0], size=(40, 3))  # units far from 1
    if task == "regression":
        y = np.stack([x[:, 0] * 3 + x[:, 2] / 50, x[:, 1] ** 2], axis=1)[:, :d_out] * 100
    elif task == "classification":
        y = np.asarray(["a", "b", "c"])[(x[:, 0] > 10).astype(int) + (x[:, 1] > -3)]
    else:
        y = np.stack([x[:, 0] > 10, x[:, 1] > -3], axis=1).astype(int)
    prep = fit_preprocessing(x, y, task)  # type: ignore[arg-type]
    loss = {"regression": "mse", "classification": "cross_entropy"}.get(task,
                                                                        "binary_cross_entropy")  # fmt: skip
    config = TrainConfig(iterations=30, bias=True, init="he", optimizer="adam", lr=1e-2,
                         loss=loss, activation=activation, seed=0)  # fmt: skip
    result = train(prep.inputs(x), prep.targets(y), config)
    return Model(result.params, activation, loss, prep, config), x


def answers(model: Model, x: np.ndarray) -> np.ndarray:
    if model.task == "regression":
        return model.predict(x)
    return model.predict_proba(x)


def central_differences(model: Model, x: np.ndarray) -> np.ndarray:
    n, d_in = x.shape
    k = answers(model, x[:1]).shape[1]
    out = np.empty((n, d_in, k))
    for j in range(d_in):
        step = EPS * max(1.0, float(np.abs(x[:, j]).max()))
        up, down = x.copy(), x.copy()
        up[:, j] += step
        down[:, j] -= step
        out[:, j, :] = (answers(model, up) - answers(model, down)) / (2 * step)
    return out


@pytest.mark.parametrize(
    ("task", "activation"),
    [("regression", "tanh"), ("regression", "relu"), ("classification", "logistic"),
     ("multilabel", "tanh"), ("classification", "leaky_relu")],
)  # fmt: skip
def test_input_gradients_are_the_slopes_of_the_answers(task: str, activation: str) -> None:
    model, x = fitted(task, activation)
    grads = model.input_gradients(x)
    numeric = central_differences(model, x)
    assert grads.shape == numeric.shape == (40, 3, 3 if task == "classification" else 2)
    scale = np.abs(numeric).max()
    np.testing.assert_allclose(grads, numeric, rtol=0, atol=1e-6 * scale)
    if task == "classification":  # probabilities sum to one: their slopes sum to zero
        np.testing.assert_allclose(grads.sum(axis=2), 0, atol=1e-12)


def test_the_input_gradient_is_one_more_step_of_backward() -> None:
    rng = np.random.default_rng(0)
    params = Params(rng.normal(size=(4, 5)), rng.normal(size=(5, 2)), rng.normal(size=5),
                    rng.normal(size=2))  # fmt: skip
    x, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    _, cache = forward(params, x, "tanh")
    grad_x = input_gradient(params, cache, g, "tanh")
    # the same chain that gives grad_w1 = x.T @ grad_h gives grad_x = grad_h @ w1.T:
    # <grad_x, x> = <grad_w1, w1> for a network without biases' share (bilinear in x and w1)
    grads = backward(params, cache, g, "tanh")
    assert np.isclose(np.sum(grad_x * x), np.sum(grads.w1 * params.w1))


def test_attributions_are_gradient_times_the_distance_from_the_training_mean() -> None:
    model, x = fitted("regression", "relu")
    scaler = model.preprocessing.x_scaler
    assert scaler is not None
    got = model.attributions(x)
    want = model.input_gradients(x) * (x - scaler.mean)[:, :, None]
    np.testing.assert_array_equal(got, want)
    at_mean = model.attributions(scaler.mean[None, :])
    np.testing.assert_array_equal(at_mean, 0)


def test_a_table_models_gradients_are_those_of_its_encoded_columns() -> None:
    cells = np.asarray([["red", "1.5"], ["blue", "NA"], ["red", "4"], ["blue", "3"]] * 5,
                       dtype=object)  # fmt: skip
    y = np.arange(20.0).reshape(20, 1)
    columns = (Column("colour", "category"), Column("size", "number"))
    prep = fit_preprocessing(cells, y, columns=columns)
    config = TrainConfig(iterations=5, bias=True, init="he", seed=0)
    result = train(prep.inputs(cells), prep.targets(y), config)
    model = Model(result.params, config=config, preprocessing=prep)
    grads = model.input_gradients(cells)
    assert prep.encoding is not None
    assert grads.shape == (20, len(prep.encoding.feature_names), 1)
    assert model.features(cells).shape == (20, 4)  # colour=blue, colour=red, size, missing


def test_inputs_it_cannot_read_are_a_data_error() -> None:
    model, _ = fitted("regression")
    with pytest.raises(DataError, match=r"expects inputs of shape \(N, 3\)"):
        model.input_gradients(np.zeros((2, 4)))
    bad: Any = [["a", "b", "c"]]
    with pytest.raises(DataError, match="not a number"):
        model.attributions(bad)
