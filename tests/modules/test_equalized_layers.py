"""The up-sampling equalized conv is an EqualizedConv2d on the nearest x2
up-sampled input, with the same parameters (so the same weight keys)."""
import numpy as np
import paddle

from ppgan_ext.modules.equalized_layers import (EqualizedConv2d,
                                                UpscalingEqualizedConv2d,
                                                upscale2d)


def test_upscaling_conv_is_conv_of_upscaled_input():
    paddle.seed(0)
    up = UpscalingEqualizedConv2d(3, 4, 3, padding=1)
    plain = EqualizedConv2d(3, 4, 3, padding=1)
    assert list(up.state_dict()) == list(plain.state_dict())
    plain.set_state_dict(up.state_dict())
    up.bias.set_value(paddle.randn([4]))
    plain.bias.set_value(up.bias)
    x = paddle.randn([2, 3, 5, 4])
    got = up(x)
    assert got.shape == [2, 4, 10, 8]
    np.testing.assert_allclose(got.numpy(), plain(upscale2d(x)).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_to_static_keeps_the_upsampling():
    """paddle.jit.to_static runs the subclass's forward chain (no endless
    recursion through super())."""
    paddle.seed(0)
    up = UpscalingEqualizedConv2d(3, 2, 3, padding=1)
    up.eval()
    x = paddle.randn([1, 3, 4, 4])
    static = paddle.jit.to_static(up, full_graph=True)
    np.testing.assert_allclose(static(x).numpy(), up(x).numpy(), rtol=1e-6,
                               atol=1e-6)
