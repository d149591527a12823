"""twolayer: the classic two-layer ReLU network, trained by hand-written backpropagation.

The seed's network (``docs/seed/000_a9de79f32e810abc.txt``)::

    h = x @ w1;  a = max(0, h);  y_pred = a @ w2;  loss = sum((y_pred - y)^2)

with every gradient written out by hand in :mod:`twolayer.nn.model`.
"""

from typing import TYPE_CHECKING, Any

from twolayer.backend import describe_blas
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError, DataError, DivergenceError, ModelFileError, TwoLayerError
from twolayer.nn.activations import ACTIVATIONS, get_activation
from twolayer.nn.gradcheck import check_gradients
from twolayer.nn.losses import LOSSES, get_loss
from twolayer.nn.model import Cache, Grads, Params, backward, forward, init_params, predict
from twolayer.nn.optim import make_optimizer
from twolayer.nn.schedules import make_schedule
from twolayer.state import Callback, Record, TrainResult, TrainState
from twolayer.train import train

if TYPE_CHECKING:
    from twolayer.data.table import read_table
    from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor
    from twolayer.outputs.live import LivePlot
    from twolayer.outputs.modelfile import save_model
    from twolayer.outputs.modelfile_reader import load_model
    from twolayer.outputs.trained import Model

# Imported on first use: the estimators need scikit-learn, an optional extra, and model files
# are not needed to train, nor is the notebook's live plot (matplotlib, IPython);
# ``import twolayer`` needs NumPy only.
_LAZY = {
    "TwoLayerRegressor": "twolayer.estimators",
    "TwoLayerClassifier": "twolayer.estimators",
    "Model": "twolayer.outputs.trained",
    "LivePlot": "twolayer.outputs.live",
    "load_model": "twolayer.outputs.modelfile_reader",
    "save_model": "twolayer.outputs.modelfile",
    "read_table": "twolayer.data.table",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # looked up on first use: importlib.metadata costs ~30 ms at start-up
        from twolayer._version import installed_version

        return installed_version()
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twolayer' has no attribute {name!r}")


__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Cache",
    "Callback",
    "ConfigError",
    "DataError",
    "DivergenceError",
    "Grads",
    "LivePlot",
    "Model",
    "ModelFileError",
    "Params",
    "Record",
    "SeedProblem",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "TwoLayerClassifier",
    "TwoLayerError",
    "TwoLayerRegressor",
    "__version__",
    "backward",
    "check_gradients",
    "describe_blas",
    "forward",
    "get_activation",
    "get_loss",
    "init_params",
    "load_model",
    "make_optimizer",
    "make_schedule",
    "predict",
    "read_table",
    "save_model",
    "seed_draws",
    "train",
]
