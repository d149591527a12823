"""``twolayer bench``'s room: this machine's solvers timed against the seed's loop.

:mod:`~twolayer.timing.workloads` names the problems, :mod:`~twolayer.timing.seed_loop` is the
seed's loop written once (importable, and runnable as the notebook's cell),
:mod:`~twolayer.timing.runs` times the solvers in alternating rounds and
:mod:`~twolayer.timing.table` writes the results.  Peer libraries, targets and the docs tables
live in the repository's ``benchmarks/``, which imports these.
"""

from twolayer.timing.runs import (
    SETTLE_S,
    SOLVERS,
    Implementation,
    Row,
    Runner,
    WorkloadResult,
    time_workload,
)

__all__ = [
    "SETTLE_S",
    "SOLVERS",
    "Implementation",
    "Row",
    "Runner",
    "WorkloadResult",
    "time_workload",
]
