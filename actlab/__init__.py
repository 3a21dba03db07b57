"""actlab: a command-line lab for activation functions and losses.

The package root imports nothing heavy, so ``actlab --help`` stays fast; the
submodules (``activations``, ``losses``, ...) import jax when they are used::

    from actlab import activations, losses
"""

__version__ = "0.1.0"

__all__ = ["__version__", "activations", "losses"]
