"""Each training field is declared once (:class:`twolayer.config.TrainConfig`), and every front
end checks it by that declaration: the estimators, the command line and the playground refuse
the same bad value with the same words, naming it as their user does (``step_size``,
``--step-size``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from helpers import run_cli
from twolayer.config import TrainConfig, check_value, spec
from twolayer.errors import ConfigError, Range
from twolayer.playground.settings import Settings

ACTIVATIONS = "identity, leaky_relu, logistic, relu, tanh"

# (field, the value as text, as a number, what every front end says after the field's name)
CASES = [
    ("lr", "-0.5", -0.5, "must be a finite number > 0, got -0.5"),  # a range
    ("gamma", "1.5", 1.5, "must be in (0, 1], got 1.5"),  # a range with an open end
    ("step_size", "0", 0, "must be an integer > 0, got 0"),  # an integer
    ("activation", "swish", "swish", f"unknown activation 'swish'; valid activations are: "
                                     f"{ACTIVATIONS}"),  # a choice
]  # fmt: skip


def _worded(name: str, words: str) -> str:
    """The message a library front end gives: a choice's stands alone, a range's follows the
    field's name."""
    return words if words.startswith("unknown") else f"{name} {words}"


@pytest.mark.parametrize(("name", "text", "value", "words"), CASES)
def test_the_configuration_refuses_a_bad_value(name: str, text: str, value: object,
                                              words: str) -> None:  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**{name: value})
    assert str(caught.value) == _worded(name, words)


@pytest.mark.parametrize(("name", "text", "value", "words"), CASES)
def test_the_estimators_refuse_it_in_the_same_words(name: str, text: str, value: object,
                                                   words: str) -> None:  # fmt: skip
    estimators = pytest.importorskip("twolayer.estimators")
    x, y = np.random.default_rng(0).standard_normal((20, 2)), np.arange(20.0)
    with pytest.raises(ConfigError) as caught:
        estimators.TwoLayerRegressor(**{name: value}).fit(x, y)
    assert str(caught.value) == _worded(name, words)


@pytest.mark.parametrize(("name", "text", "value", "words"), CASES)
def test_the_command_line_refuses_it_in_the_same_words(
    name: str, text: str, value: object, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = "--" + name.replace("_", "-")
    code, out, err = run_cli(["train", f"{flag}={text}"], capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == f"twolayer train: error: argument {flag}: {words}"


@pytest.mark.parametrize(("name", "text", "value", "words"), CASES)
def test_the_playground_refuses_it_in_the_same_words(name: str, text: str, value: object,
                                                    words: str) -> None:  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        Settings.from_text({name: text})
    assert str(caught.value) == _worded(name, words)


def test_an_estimator_checks_a_field_its_fit_leaves_unused() -> None:
    estimators = pytest.importorskip("twolayer.estimators")
    x, y = np.random.default_rng(0).standard_normal((20, 2)), np.arange(20.0)
    with pytest.raises(ConfigError, match=r"^validation_fraction must be in \[0, 1\), got 2.0$"):
        estimators.TwoLayerRegressor(validation_fraction=2.0, iterations=1).fit(x, y)


def test_every_field_is_declared_with_what_its_front_ends_need() -> None:
    for f in dataclasses.fields(TrainConfig):
        rule = spec(TrainConfig, f.name)
        assert rule.help, f.name
        text = str(f.type) in ("str",) or "Literal" in str(f.type)
        assert (rule.choices is not None) == text, f.name  # every name field lists its names
        number = str(f.type).removesuffix(" | None") in ("int", "float")
        assert rule.range is None or number, f.name
        if rule.choices is not None:
            assert f.default in rule.choices, f.name
        if rule.range is not None and f.default is not None:
            assert rule.range.contains(f.default), f.name  # type: ignore[arg-type]


def test_the_playground_narrows_a_field_only_where_it_says_so() -> None:
    assert spec(Settings, "lr").range == spec(TrainConfig, "lr").range
    assert spec(Settings, "patience").range == spec(TrainConfig, "plateau_patience").range
    assert spec(Settings, "hidden").range == Range(1, 64, integer=True)
    with pytest.raises(ConfigError, match=r"^hidden must be between 1 and 64, got 65$"):
        Settings.from_text({"hidden": "65"})


@pytest.mark.parametrize(
    ("within", "text"),
    [
        (Range(0, low_open=True), "a finite number > 0"),
        (Range(0, integer=True), "an integer >= 0"),
        (Range(1, low_open=True, finite=False), "a number > 1"),
        (Range(0, 1, high_open=True), "in [0, 1)"),
        (Range(0, 1, low_open=True), "in (0, 1]"),
        (Range(1, 64, integer=True), "between 1 and 64"),
    ],
)
def test_a_range_says_itself_in_one_wording(within: Range, text: str) -> None:
    assert within.text == text
    with pytest.raises(ConfigError) as caught:
        within.check("x", -5)
    assert str(caught.value) == f"x must be {text}, got -5"


def test_check_value_returns_python_scalars() -> None:
    assert type(check_value(TrainConfig, "hidden", np.int64(3))) is int
    assert check_value(TrainConfig, "batch_size", None) is None
