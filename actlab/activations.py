"""The public name of ``actlab.blocks.activations``: ``from actlab import activations``."""

import sys

from actlab.blocks import activations

sys.modules[__name__] = activations
