"""The playground's session: chunks of twolayer's own loop, changes mid-run, resets, edits."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.playground.datasets import Edit
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings
from twolayer.train import train

SMALL = Settings(dataset="gaussians", samples=60, hidden=5, iterations=200)


def _params(session: Session) -> list[np.ndarray]:
    return [np.array(p) for p in session.state.params]


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [0, 16])
def test_chunks_are_bit_for_bit_one_run(optimizer: str, batch_size: int) -> None:
    settings = SMALL.replace(optimizer=optimizer, batch_size=batch_size)
    session = Session(settings)
    records = []
    for n in (1, 7, 13, 4, 25):
        records += session.advance(n, seconds=60)
    assert session.state.iteration == 50 and len(session.history) == 50
    x, y = session.data.arrays(session.data.train)
    test = session.data.arrays(session.data.test) if session.data.test else None
    whole = train(x, y, session.config.replace(iterations=50), validation=test)
    for mine, theirs in zip(_params(session), whole.params, strict=True):
        assert np.array_equal(mine, theirs)
    assert [r.loss for r in records] == [r.loss for r in whole.history]
    assert [r.val_loss for r in records] == [r.val_loss for r in whole.history]


def test_advance_trains_and_the_loss_falls() -> None:
    session = Session(SMALL)
    records = session.advance(60, seconds=60)
    assert [r.iteration for r in records] == list(range(60))
    assert records[-1].loss < records[0].loss / 2
    assert all(r.val_loss is not None for r in records)  # the test points' loss, every iteration


def test_a_new_learning_rate_goes_on_from_the_same_weights() -> None:
    session = Session(SMALL.replace(optimizer="gd", lr=0.1))
    session.advance(10, seconds=60)
    before = _params(session)
    assert session.change(session.settings.replace(lr=0.01)) == "live"
    assert session.state.iteration == 10
    assert all(np.array_equal(a, b) for a, b in zip(before, _params(session), strict=True))
    record = session.advance(1, seconds=60)[0]
    assert (record.iteration, record.lr) == (10, 0.01)


def test_a_new_optimizer_starts_with_fresh_buffers() -> None:
    session = Session(SMALL.replace(optimizer="momentum"))
    session.advance(5, seconds=60)
    assert session.change(session.settings.replace(optimizer="adam")) == "live"
    assert set(session.state.opt_state) == {"m", "v"} and session.state.step == 0
    assert all(not np.any(b) for b in session.state.opt_state["m"])
    assert session.advance(3, seconds=60)[-1].iteration == 7


def test_network_settings_reset_to_the_same_starting_weights() -> None:
    session = Session(SMALL)
    start = _params(session)
    session.advance(5, seconds=60)
    assert session.change(session.settings.replace(hidden=7)) == "network"
    assert session.state.iteration == 0 and not session.history
    assert session.state.params.w1.shape == (2, 7)
    session.change(session.settings.replace(hidden=5))
    assert all(np.array_equal(a, b) for a, b in zip(start, _params(session), strict=True))


def test_data_settings_draw_again_and_drop_clicked_points() -> None:
    session = Session(SMALL)
    session.edit([Edit("add", (0.5, 0.5), 1.0)])
    assert session.change(session.settings.replace(samples=80)) == "data"
    assert session.edits == []
    assert session.data.train.n_samples + session.data.test.n_samples == 80


def test_a_loss_that_does_not_fit_changes_nothing() -> None:
    session = Session(SMALL)
    with pytest.raises(ConfigError):
        session.change(session.settings.replace(dataset="sine", loss="cross_entropy"))
    assert session.settings == SMALL and session.data.task == "classification"


def test_edits_replay_and_training_goes_on() -> None:
    edits = [Edit("add", (0.9, -0.9), 2.0), Edit("add", (0.8, -0.9), 2.0)]
    session = Session(SMALL, edits=edits)
    assert session.data.train.n_samples == 42 + 2  # 60 points, 18 held out, 2 clicked
    session.advance(3, seconds=60)
    session.edit([Edit("remove", (0.9, -0.9))])
    assert session.data.train.n_samples == 43
    assert session.advance(2, seconds=60)[-1].iteration == 4


def test_the_horizon_finishes_the_run() -> None:
    session = Session(SMALL.replace(iterations=5))
    assert len(session.advance(100, seconds=60)) == 5
    assert session.finished and session.advance(1) == []
    session.change(session.settings.replace(iterations=8))
    assert len(session.advance(100, seconds=60)) == 3


def test_divergence_is_reported_not_raised() -> None:
    session = Session(Settings(dataset="plane", optimizer="gd", lr=1e3, loss="sse"))
    session.advance(50, seconds=60)
    assert session.error is not None and "diverged" in session.error
    assert session.advance(5) == []
    session.reset()
    assert session.error is None and session.state.iteration == 0


def test_bundled_and_file_data() -> None:
    session = Session(Settings(dataset="diabetes", hidden=4))
    assert session.data.task == "regression" and session.data.n_inputs == 10
    assert session.data.prep.x_scaler is not None  # standardised like twolayer train does
    with pytest.raises(ConfigError, match="--data"):
        Session(Settings(dataset="file"))


@pytest.mark.parametrize(
    ("schedule", "extra"),
    [("step", {"step_size": 7, "gamma": 0.5}), ("invscaling", {}), ("cosine", {})],
)
def test_a_schedule_chosen_mid_run_starts_from_the_base_rate_there(
    schedule: str, extra: dict
) -> None:
    from twolayer.nn.schedules import make_schedule

    session = Session(SMALL.replace(iterations=400))
    session.advance(300, seconds=60)
    session.change(session.settings.replace(schedule=schedule, **extra))
    records = []
    while len(records) < 30:
        records += session.advance(30 - len(records), seconds=60)
    c = session.config
    rate = make_schedule(schedule, c.lr, total=400 - 300, step_size=c.step_size, gamma=c.gamma,
                         lr_min=c.lr_min)  # fmt: skip
    assert [r.iteration for r in records] == list(range(300, 330))
    assert [r.lr for r in records] == [rate(t) for t in range(30)]
    assert records[0].lr == c.lr  # not the global iteration's 3e-79
    assert session.history.last is records[-1]


def test_the_plateau_schedule_stops_at_its_floor() -> None:
    settings = SMALL.replace(schedule="plateau", patience=1, factor=0.1, floor=0.05, lr=0.1,
                             iterations=300)  # fmt: skip
    session = Session(settings)
    records = session.advance(300, seconds=60)
    assert min(r.lr for r in records) == pytest.approx(0.005)  # 0.05 of the rate, no lower


def test_a_summed_loss_compares_test_and_training_points_at_one_size() -> None:
    from twolayer.engines.portable import evaluate_loss

    session = Session(Settings(dataset="plane", samples=100, loss="sse", test_fraction=0.3))
    (record,) = session.advance(1, seconds=60)
    assert session.test_scale == 70 / 30
    start = train(*session.data.arrays(session.data.train), session.config.replace(iterations=0))
    raw = evaluate_loss(start.params, *session.data.arrays(session.data.test), session.config)
    assert record.val_loss == pytest.approx(raw * 70 / 30)
    assert Session(Settings(dataset="plane", loss="mse")).test_scale == 1.0


def test_features_are_the_networks_inputs_and_keep_the_clicked_points() -> None:
    session = Session(SMALL)
    session.edit([Edit("add", (0.5, 0.5), 1.0)])
    assert session.change(session.settings.replace(features="x1sq,x1x2,sinx2")) == "network"
    assert session.state.params.w1.shape == (3, 5) and len(session.edits) == 1
    assert session.data.feature_names == ("x1^2", "x1*x2", "sin(x2)")
    x, _ = session.data.arrays(session.data.train)
    raw = session.data.train.x
    assert np.allclose(x, np.stack([raw[:, 0] ** 2, raw[:, 0] * raw[:, 1], np.sin(raw[:, 1])], 1))
    with pytest.raises(ConfigError, match="features must be"):
        session.settings.replace(features="x1,x3")
    one = Session(Settings(dataset="sine", features="x1sq"))  # one input: taken as it is
    assert one.state.params.w1.shape[0] == 1


def test_a_weight_set_by_hand_is_where_training_goes_on() -> None:
    session = Session(SMALL)
    session.advance(3, seconds=60)
    session.set_weight("w1", [1, 2], 0.75)
    assert session.state.params.w1[1, 2] == 0.75
    (record,) = session.advance(1, seconds=60)
    assert record.iteration == 3
    for name, index, value, message in [("w3", [0], 1.0, "no parameter 'w3'"),
                                        ("w1", [2, 0], 1.0, "no entry"),
                                        ("b1", [0, 0], 1.0, "no entry"),
                                        ("w2", [0, 0], float("nan"), "between"),
                                        ("w2", [0, 0], 1e9, "between")]:  # fmt: skip
        with pytest.raises(ConfigError, match=message):
            session.set_weight(name, index, value)


def test_the_doctor_reads_the_run_so_far() -> None:
    session = Session(SMALL.replace(optimizer="gd", lr=1e-7))
    assert session.diagnosis() == ["nothing trained yet: press play, then ask again"]
    session.advance(60)
    found = session.diagnosis()
    assert any(line.startswith("update-to-weight ratio of w1") and "raise --lr" in line
               for line in found), found  # fmt: skip
    healthy = Session(SMALL)
    healthy.advance(60)
    assert all("update-to-weight" not in line for line in healthy.diagnosis())
    assert len(healthy.history.reviewed()) == 60


def test_the_history_keeps_its_first_record_and_a_bounded_window_for_the_doctor() -> None:
    from twolayer.playground.records import RECENT, History
    from twolayer.state import Record

    history = History()
    total = 100 * (3 * RECENT // 100 + 1)
    for start in range(0, total, 100):
        history.extend([Record(t, 1.0, 0.1, 0.0) for t in range(start, start + 100)])
    reviewed = history.reviewed()
    assert reviewed[0].iteration == 0 and len(reviewed) == RECENT + 1
    assert [r.iteration for r in reviewed[1:]] == list(range(total - RECENT, total))
    history.close()
