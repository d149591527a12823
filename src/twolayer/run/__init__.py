"""One ``twolayer train`` session, a step per module, from the top:

* :mod:`~twolayer.run.session`: :func:`run`, the session from its prepared data to its files
  and report;
* :mod:`~twolayer.run.files` and :mod:`~twolayer.run.report`: what it writes and prints when
  it ends;
* :mod:`~twolayer.run.data`: its data read (:func:`read_data`), then split and scaled;
* :mod:`~twolayer.run.on_backend`: where it trains (:func:`train_on_backend`), and
  :func:`train_on_cluster`, the same from Python for data too large for one machine;
* :mod:`~twolayer.run.request`: what it is asked to do (:class:`Session`), checked before
  any work (:func:`check_session`).

The command line (``cli/train.py``) builds the :class:`Session`, checks it, reads the data,
builds the :class:`~twolayer.config.TrainConfig` from the data's sizes, and calls :func:`run`.
"""

from twolayer.run.data import initial_params, prepare, read_data, resumed_config
from twolayer.run.on_backend import train_on_backend, train_on_cluster
from twolayer.run.request import Session, check_session
from twolayer.run.session import run

__all__ = [
    "Session",
    "check_session",
    "initial_params",
    "prepare",
    "read_data",
    "resumed_config",
    "run",
    "train_on_backend",
    "train_on_cluster",
]
