"""Parameter optimisation: grids, sweeps, walk-forward and robustness checks."""
