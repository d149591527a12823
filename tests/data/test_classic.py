"""The seed's draws and printed line on their own: what ``np.random.seed`` and ``print`` give,
without touching NumPy's global random state."""

from __future__ import annotations

import numpy as np

from twolayer.data.classic import format_line, seed_draws


def test_draws_do_not_touch_global_random_state() -> None:
    before = np.random.get_state()[1].copy()
    seed_draws(11)
    assert np.array_equal(np.random.get_state()[1], before)


def test_format_line_matches_python_print() -> None:
    loss = np.float64(21738246.1115877)
    assert format_line(0, loss) == f"0 {loss}" == "0 21738246.1115877"
    assert format_line(12, 1e-05) == "12 1e-05"
