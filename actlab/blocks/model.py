"""A network as a list of (W, b) pairs, its init schemes, and apply.

    params = init_mlp(key=key, sizes=[2, 8, 1], init=Init("he"), dtype=jnp.float32)
    logits = apply(params, x, act)            # act: an Activation (or any jnp function)

    conv = Conv(image=(8, 8), channels=(8, 16))           # 3x3 windows on 8x8 images
    params = init_net(key=key, sizes=[conv.features, 10], conv=conv, init=Init("he"))
    logits = apply(params, x, act, conv=conv)             # x: (batch, 64), rows of pixels

Dense layer l computes z_l = a_{l-1} W_l + b_l, a_l = g(z_l); the last layer
stays linear (logits): output activations belong to the loss (from_logits). A
convolutional layer computes each output pixel from the 3x3 window around it
(``jax.lax.conv_general_dilated``), one small W shared by every window, so it
has 9 * c_in * c_out + c_out parameters whatever the image size.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from actlab.blocks.activations import INITS as FAMILIES
from actlab.errors import ActlabError
from actlab.limits import in_dtype

INITS = ("auto", *FAMILIES, "normal:STD")


class Init(NamedTuple):
    """A weight init: W ~ N(0, std^2) with std = gain / sqrt(fan) (or a fixed std).

    He et al. 2015: std = sqrt(2 / fan_in). Glorot & Bengio 2010: std = sqrt(2 /
    (fan_in + fan_out)). LeCun 1998: std = sqrt(1 / fan_in).
    """

    name: str
    fixed_std: float | None = None

    def std(self, fan_in: int, fan_out: int) -> float:
        if self.fixed_std is not None:
            return self.fixed_std
        if self.name == "he":
            return math.sqrt(2.0 / fan_in)
        if self.name == "glorot":
            return math.sqrt(2.0 / (fan_in + fan_out))
        return math.sqrt(1.0 / fan_in)  # lecun


def parse_init(text: str, activation=None, dtype=None) -> Init:
    """``"auto" | "he" | "glorot" | "lecun" | "normal:STD"`` -> ``Init``.

    ``auto`` takes the activation's own init fact (``Activation.init``: He for
    ReLU-like units, LeCun for selu, Glorot otherwise; estimated for formulas
    and plugins); Glorot for a plain function. With ``dtype``, a fixed STD must
    be a normal number of that dtype.
    """
    text = text.strip().lower()
    if text == "auto":
        return Init(getattr(activation, "init", None) or "glorot")
    if text in FAMILIES:
        return Init(text)
    if text.startswith("normal:"):
        try:
            std = float(text.split(":", 1)[1])
        except ValueError:
            std = float("nan")
        if not (math.isfinite(std) and std > 0):
            raise ActlabError(f"bad init {text!r}: normal:STD needs a positive number, e.g. normal:1")
        if dtype is not None:
            in_dtype(std, jnp.dtype(dtype).name, "--init normal:STD", positive=True, std=True)
        return Init("normal", std)
    raise ActlabError(f"unknown init {text!r}; choose from: {', '.join(INITS)}")


def init_mlp(*, key, sizes, init: Init = Init("glorot"), dtype=jnp.float32):
    """Random MLP parameters.

    Args:
      key: a jax PRNG key (keyword-only, explicit).
      sizes: layer widths, input first: [n_in, h_1, ..., n_out].
      init: the weight init; biases start at 0.
      dtype: parameter dtype.

    Returns:
      A list of (W, b) pairs, W of shape (fan_in, fan_out).
    """
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ActlabError(f"bad layer sizes {list(sizes)}: every width must be >= 1")
    params = []
    for k, (fan_in, fan_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        w = init.std(fan_in, fan_out) * jax.random.normal(k, (fan_in, fan_out), dtype)
        params.append((w, jnp.zeros((fan_out,), dtype)))
    return params


class Conv(NamedTuple):
    """Convolutional layers in front of the dense ones: 3x3 windows, "same"
    padding, stride ``stride`` (2 halves the image at every layer).

    Attributes:
      image: (height, width) of the input rows (one channel).
      channels: output channels of each layer.
      stride: the step between windows.
    """

    image: tuple[int, int]
    channels: tuple[int, ...]
    stride: int = 2

    def shapes(self) -> list[tuple[int, int, int]]:
        """(height, width, channels) after each layer, the input first."""
        h, w = self.image
        out = [(h, w, 1)]
        for c in self.channels:
            h, w = -(-h // self.stride), -(-w // self.stride)
            out.append((h, w, c))
        return out

    @property
    def features(self) -> int:
        """Inputs of the first dense layer: the last layer's pixels times channels."""
        h, w, c = self.shapes()[-1]
        return h * w * c


WINDOW = 3


def init_net(*, key, sizes, conv: Conv | None = None, init: Init = Init("glorot"), dtype=jnp.float32):
    """Parameters of the convolutional layers (if any) and then the dense ones.

    Args:
      key: a jax PRNG key (keyword-only, explicit).
      sizes: the dense widths, their input first: [n_in, h_1, ..., n_out];
        with ``conv`` n_in is ``conv.features``.
      conv: convolutional layers in front, or None.
      init: the weight init; fan-in and fan-out of a convolution count the
        window: 9 * c_in and 9 * c_out.
      dtype: parameter dtype.
    """
    if conv is None or not conv.channels:
        return init_mlp(key=key, sizes=sizes, init=init, dtype=dtype)
    k_conv, k_dense = jax.random.split(key)
    params = []
    chans = [1, *conv.channels]
    area = WINDOW * WINDOW
    for k, (c_in, c_out) in zip(jax.random.split(k_conv, len(conv.channels)), zip(chans[:-1], chans[1:])):
        w = init.std(area * c_in, area * c_out) * jax.random.normal(k, (WINDOW, WINDOW, c_in, c_out), dtype)
        params.append((w, jnp.zeros((c_out,), dtype)))
    return params + init_mlp(key=k_dense, sizes=sizes, init=init, dtype=dtype)


def count_params(params) -> int:
    """How many numbers the network learns."""
    return sum(int(math.prod(w.shape)) + int(math.prod(b.shape)) for w, b in params)


def apply(params, x, act, *, conv: Conv | None = None):
    """The network's output (logits): hidden layers use ``act``, the last is linear.

    Args:
      params: list of (W, b) from ``init_mlp`` or ``init_net``.
      x: inputs, shape (batch, n_in); with ``conv``, rows of height * width pixels.
      act: an Activation or any elementwise jnp function.
      conv: the convolutional layers that ``params`` begins with, or None.
    """
    return pre_activations(params, x, act, conv=conv)[1]


def pre_activations(params, x, act, *, conv: Conv | None = None):
    """(zs, logits): the pre-activations z of every hidden layer, each as
    (examples, units), and the output. A convolution's units are its channels,
    and each image position of each example counts as an example."""
    g = getattr(act, "fn", act)
    a, zs = x, []
    n_conv = len(conv.channels) if conv is not None else 0
    if n_conv:
        a = x.reshape(x.shape[0], *conv.image, 1)
        for w, b in params[:n_conv]:
            z = jax.lax.conv_general_dilated(a, w, window_strides=(conv.stride, conv.stride), padding="SAME",
                                             dimension_numbers=("NHWC", "HWIO", "NHWC")) + b
            zs.append(z.reshape(-1, z.shape[-1]))
            a = g(z)
        a = a.reshape(a.shape[0], math.prod(a.shape[1:]))  # -1 is ambiguous with 0 rows
    for w, b in params[n_conv:-1]:
        z = a @ w + b
        zs.append(z)
        a = g(z)
    w, b = params[-1]
    return zs, a @ w + b
