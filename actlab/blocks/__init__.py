"""The jax-level pieces, with nothing of actlab above them: activations (the
registry of (f, f') pairs and their facts), losses, model (layers and inits),
optim (optax by name) and data (datasets and CSV files)."""
