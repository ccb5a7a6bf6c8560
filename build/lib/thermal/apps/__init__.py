"""Applications on top of the solver: solve a case, size a radiator, sweep parameters, N-1, validation."""
