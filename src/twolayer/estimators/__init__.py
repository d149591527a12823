"""scikit-learn estimators around the network: :class:`TwoLayerRegressor` and
:class:`TwoLayerClassifier` (``pip install 'twolayer[sklearn]'``); what they share and why their
defaults differ from the seed's recipe is in :mod:`twolayer.estimators.base`."""

from twolayer.estimators.classifier import TwoLayerClassifier
from twolayer.estimators.regressor import TwoLayerRegressor

__all__ = ["TwoLayerClassifier", "TwoLayerRegressor"]
