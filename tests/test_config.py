"""TrainConfig checks each field's type before its range: library users and the estimators get
a ConfigError naming the field, never a NumPy TypeError from deep inside training."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"hidden": 2.5}, "hidden must be an integer, got 2.5"),
        ({"iterations": True}, "iterations must be an integer, got True"),
        ({"iterations": "500"}, "iterations must be an integer, got '500'"),
        ({"lr": "fast"}, "lr must be a number, got 'fast'"),
        ({"lr": None}, "lr must be a number, got None"),
        ({"alpha": False}, "alpha must be a number, got False"),
        ({"batch_size": 2.5}, "batch_size must be an integer or None, got 2.5"),
        ({"n_iter_no_change": 1.0}, "n_iter_no_change must be an integer or None"),
        ({"bias": 1}, "bias must be true or false, got 1"),
        ({"early_stopping": "yes"}, "early_stopping must be true or false"),
        ({"activation": 3}, "activation must be text, got 3"),
        ({"track": None}, "track must be text, got None"),
        ({"seed": 1.5}, "seed must be an integer, got 1.5"),
    ],
)
def test_a_field_of_the_wrong_type_is_named(changes: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**changes)


def test_numpy_scalars_and_integer_rates_are_taken_as_python_values() -> None:
    config = TrainConfig(hidden=np.int64(7), lr=1, bias=np.bool_(True), alpha=np.float32(0.5))
    assert (config.hidden, config.lr, config.bias, config.alpha) == (7, 1.0, True, 0.5)
    assert type(config.hidden) is int and type(config.lr) is float and type(config.bias) is bool
    assert TrainConfig.from_dict(config.to_dict()) == config
