"""The session's steps (twolayer.run): plain values in, the data read before the
configuration is built, then prepared with it."""

from __future__ import annotations

import dataclasses

from twolayer.config import TrainConfig
from twolayer.run import Session, prepare, read_data


def test_a_session_holds_plain_values_only() -> None:
    for field in dataclasses.fields(Session):
        assert "Callable" not in str(field.type), field.name


def test_the_data_are_read_then_prepared_with_the_configuration_built_between() -> None:
    source = {"kind": "dataset", "name": "diabetes", "task": "regression",
              "test_fraction": 0.2, "standardize": True}  # fmt: skip
    session = Session(source)
    data = read_data(session)
    assert data.dataset is not None and data.chunks is None
    assert data.sizes == ("regression", 354, None)  # 442 rows, 88 held out for the test
    assert "fingerprint" in session.source
    config = TrainConfig(loss="mse", seed=4)
    prepared = prepare(session, data, config)
    assert prepared.train_set is not None and prepared.test_set is not None
    assert prepared.x.shape == (354, 10) and prepared.y.shape == (354, 1)
    again = prepare(session, data, config)
    assert (again.x == prepared.x).all()  # the test split is seeded by config.seed
