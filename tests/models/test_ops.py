"""The oneDNN-friendly resize ops equal F.interpolate(mode='nearest')."""
import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ppgan_ext.models.ops import resize_nearest, upsample_nearest


@pytest.mark.parametrize('factor', [1, 2, 3])
def test_upsample_equals_interpolate(factor):
    x = paddle.rand([2, 3, 5, 7])
    want = F.interpolate(x, scale_factor=factor, mode='nearest')
    np.testing.assert_array_equal(upsample_nearest(x, factor).numpy(),
                                  want.numpy())


@pytest.mark.parametrize('size', [(3, 3), (4, 9), (10, 14), (2, 2), (5, 7),
                                  (6, 4), (1, 13)])
def test_resize_equals_interpolate(size):
    x = paddle.rand([2, 3, 5, 7])
    want = F.interpolate(x, size=list(size), mode='nearest')
    np.testing.assert_array_equal(resize_nearest(x, size).numpy(),
                                  want.numpy())


def test_resize_takes_tensor_sizes():
    x, ref = paddle.rand([1, 2, 4, 4]), paddle.rand([1, 2, 3, 5])
    got = resize_nearest(x, [paddle.shape(ref)[2], paddle.shape(ref)[3]])
    assert got.shape == [1, 2, 3, 5]
