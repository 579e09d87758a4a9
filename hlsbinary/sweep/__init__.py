"""Bayesian search of binary/ternary trigger networks: accuracy of the firmware versus estimated LUTs and latency.

``hlsbinary sweep -c configs/sweep_jets.yml``.  Each trial builds an MLP from the search space
(:mod:`~hlsbinary.sweep.space`), trains it with the project's recipe, scores the **firmware's own outputs**
(bit-exact emulation) on a validation split and estimates its LUT/FF/DSP/latency (:mod:`~hlsbinary.sweep.objective`).
Optuna searches (multi-objective TPE by default, with the hard limits as constraints) in a storage many workers
share (:mod:`~hlsbinary.sweep.study`); the Pareto front is exported, retrained, checked in C simulation and
plotted next to the paper's published points (:mod:`~hlsbinary.sweep.export`).

Nothing heavy is imported here: Optuna and TensorFlow load when a sweep runs.
"""
