"""
Every optimizer on the seed's problem
=====================================

Every optimizer on the seed's problem (its draws with seed 0), 500 iterations each.

Run: python examples/optimizers_on_seed.py
Prints each optimizer's learning rate and its final loss (the loss of record 499, as the seed
prints it), or where it diverged.
"""

from importlib.util import find_spec

from twolayer import DivergenceError, SeedProblem, seed_draws, train

RATES = {"gd": 1e-6, "momentum": 2e-7, "nesterov": 3e-7, "adam": 1e-2, "lbfgs": 1.0}

problem = SeedProblem()
x, y, params = seed_draws(0, problem)
for optimizer, lr in RATES.items():
    if optimizer == "lbfgs" and find_spec("scipy") is None:  # L-BFGS is SciPy's
        print(f"{optimizer:9s} lr={lr:<6g} needs SciPy: pip install 'twolayer[lbfgs]'")
        continue
    config = problem.config(optimizer=optimizer, lr=lr, track="loss")
    try:
        result = train(x, y, config, params)
        last = result.history[-1]
        print(f"{optimizer:9s} lr={lr:<6g} iteration {last.iteration}: loss {last.loss:.6g} ({result.stop_reason})")
    except DivergenceError as exc:
        print(f"{optimizer:9s} lr={lr:<6g} {exc}")
