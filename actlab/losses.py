"""The public name of ``actlab.blocks.losses``: ``from actlab import losses``."""

import sys

from actlab.blocks import losses

sys.modules[__name__] = losses
