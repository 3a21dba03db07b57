"""The network: dense and convolutional layers against plain numpy, and parameter counts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from actlab.blocks import activations, model


def np_conv_same(image, w, b, stride):
    """A 3x3 "same" convolution (cross-correlation, as deep-learning layers
    compute it) with ``stride``, by loops over the output pixels: image (h, w,
    c_in), w (3, 3, c_in, c_out). "Same" pads the total ``max(3 - s, 0)`` (for a
    size not divisible by s, the formula of TensorFlow and XLA) with the extra
    one at the bottom/right."""
    h, wd, _ = image.shape
    oh, ow = -(-h // stride), -(-wd // stride)
    pad_h = max((oh - 1) * stride + 3 - h, 0)
    pad_w = max((ow - 1) * stride + 3 - wd, 0)
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = padded[i * stride:i * stride + 3, j * stride:j * stride + 3, :]
            out[i, j] = np.einsum("abc,abcd->d", window, w) + b
    return out


@pytest.mark.parametrize("channels,stride", [((4,), 1), ((4, 6), 2), ((3, 5, 2), 2)])
def test_conv_layers_match_a_numpy_convolution(channels, stride):
    conv = model.Conv((8, 8), channels, stride)
    params = model.init_net(key=jax.random.key(0), sizes=[conv.features, 7, 3], conv=conv,
                            init=model.Init("he"), dtype=jnp.float64)
    x = np.random.default_rng(1).uniform(0, 1, size=(5, 64))
    act = activations.get("tanh")
    got = np.asarray(jax.jit(lambda p, x: model.apply(p, x, act, conv=conv))(params, jnp.asarray(x)))
    p = [(np.asarray(w), np.asarray(b)) for w, b in params]
    want = []
    for row in x:
        a = row.reshape(8, 8, 1)
        for w, b in p[:len(channels)]:
            a = np.tanh(np_conv_same(a, w, b, stride))
        a = a.reshape(-1)
        for w, b in p[len(channels):-1]:
            a = np.tanh(a @ w + b)
        w, b = p[-1]
        want.append(a @ w + b)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-12)
    side = 8
    for _ in channels:
        side = -(-side // stride)
    assert conv.shapes()[-1] == (side, side, channels[-1]) and conv.features == side * side * channels[-1]


def test_parameter_counts_by_hand():
    conv = model.Conv((8, 8), (8, 16))
    assert conv.shapes() == [(8, 8, 1), (4, 4, 8), (2, 2, 16)] and conv.features == 64
    shapes = lambda **kw: jax.eval_shape(lambda k: model.init_net(key=k, **kw), jax.random.key(0))  # noqa: E731
    params = shapes(sizes=[64, 10], conv=conv)
    # a 3x3 window: 9 * c_in * c_out weights + c_out biases, whatever the image size
    assert model.count_params(params) == (9 * 1 * 8 + 8) + (9 * 8 * 16 + 16) + (64 * 10 + 10)
    dense = shapes(sizes=[64, 25, 15, 10])
    assert model.count_params(dense) == 64 * 25 + 25 + 25 * 15 + 15 + 15 * 10 + 10 == 2175


def test_conv_init_counts_the_window_in_the_fan():
    conv = model.Conv((8, 8), (64,))
    params = model.init_net(key=jax.random.key(3), sizes=[conv.features, 2], conv=conv, init=model.Init("he"))
    w = np.asarray(params[0][0])
    assert w.shape == (3, 3, 1, 64)
    assert abs(w.std() / np.sqrt(2.0 / 9) - 1) < 0.15  # He: std = sqrt(2 / fan_in), fan_in = 9 * c_in
