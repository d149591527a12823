"""The playground's settings: the URL hash's text form, checks, and the TrainConfig they make."""

from __future__ import annotations

import dataclasses

import pytest

from twolayer.errors import ConfigError
from twolayer.playground.settings import (
    DATA_FIELDS,
    LIVE_FIELDS,
    NETWORK_FIELDS,
    Settings,
)


def test_every_field_is_data_network_or_live() -> None:
    names = [f.name for f in dataclasses.fields(Settings)]
    assert sorted(names) == sorted([*DATA_FIELDS, *NETWORK_FIELDS, *LIVE_FIELDS])


def test_text_form_round_trips() -> None:
    s = Settings(dataset="spiral", classes=4, hidden=12, lr=0.0125, bias=False, batch_size=32)
    text = s.to_text()
    assert all(isinstance(v, str) for v in text.values())
    assert text["bias"] == "0" and text["lr"] == "0.0125"
    assert Settings.from_text(text) == s


def test_from_text_starts_from_a_base_and_ignores_other_keys() -> None:
    base = Settings(hidden=5)
    s = Settings.from_text({"lr": "0.5", "edits": "a,0,0,1", "bias": "true"}, base)
    assert (s.hidden, s.lr, s.bias) == (5, 0.5, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"hidden": "0"}, "hidden must be between 1 and 64, got 0"),
        ({"hidden": "2.5"}, "hidden must be an integer, got '2.5'"),
        ({"lr": "fast"}, "lr must be a number, got 'fast'"),
        ({"lr": "-1"}, "lr must be a finite number > 0"),
        ({"lr": "inf"}, "lr must be a finite number > 0"),
        ({"bias": "maybe"}, "bias must be 0 or 1"),
        ({"dataset": "moons"}, "unknown dataset 'moons'"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"test_fraction": "0.95"}, "test_fraction must be between 0 and 0.9"),
        ({"speed": "0"}, "speed must be between 1 and 1000"),
    ],
)
def test_bad_values_name_the_field(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        Settings.from_text(values)


def test_train_config_takes_the_task_default_loss_and_full_batch_as_none() -> None:
    c = Settings(lr=0.1, hidden=3, alpha=0.01).train_config("classification")
    assert (c.loss, c.lr, c.hidden, c.alpha, c.batch_size) == ("cross_entropy", 0.1, 3, 0.01, None)
    assert Settings().train_config("regression").loss == "mse"
    assert Settings(batch_size=16).train_config("regression").batch_size == 16


def test_a_loss_that_does_not_fit_the_task_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not fit regression"):
        Settings(loss="cross_entropy").train_config("regression")
