"""
The seed's loss curve
=====================

The seed's run (its draws with seed 0, 500 steps of gradient descent at lr = 1e-6) and the same
run with momentum, their losses drawn on a log scale: the sum of squared errors falls from about
2.6e7 to 7e-5.

Run: python examples/plot_seed_loss.py (needs matplotlib: pip install '.[plot]'); it saves
seed_loss.png and prints each run's last line.
"""

import matplotlib.pyplot as plt

from twolayer import SeedProblem, seed_draws, train

problem = SeedProblem()
x, y, params = seed_draws(0, problem)
runs = {
    "gradient descent, lr 1e-6 (the seed)": problem.config(track="loss"),
    "momentum 0.9, lr 2e-7": problem.config(optimizer="momentum", lr=2e-7, track="loss"),
}

fig, ax = plt.subplots(figsize=(6.4, 4.0))
for label, config in runs.items():
    history = train(x, y, config, params).history
    ax.semilogy([r.iteration for r in history], [r.loss for r in history], label=label)
    print(f"{label}: iteration {history[-1].iteration} loss {history[-1].loss:.6g}")
ax.set(xlabel="iteration", ylabel="sum of squared errors", title="The seed's problem")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.savefig("seed_loss.png")
