"""The network's math: every forward, backward and update rule, as pure functions over arrays.

Read in this order, from the bottom up:

* :mod:`~twolayer.nn.activations`: ReLU and its siblings, each forward beside its backward;
* :mod:`~twolayer.nn.losses`: the losses and their gradients with respect to the prediction;
* :mod:`~twolayer.nn.model`: the network, ``h = x @ w1``, ``a = relu(h)``, ``y_pred = a @ w2``,
  its forward and backward passes, and the starting weights;
* :mod:`~twolayer.nn.objective`: loss plus penalty, and their gradients in one call;
* :mod:`~twolayer.nn.optim` and :mod:`~twolayer.nn.schedules`: the update rules and the
  learning rate over time;
* :mod:`~twolayer.nn.metrics`: scores of predictions; :mod:`~twolayer.nn.gradcheck`: every
  gradient above checked against central differences.

Each readable function has a buffered twin (``*_into``) beside it, which the engines run; the
public names are exported from :mod:`twolayer` itself.
"""
