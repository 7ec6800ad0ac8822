"""The oneDNN-friendly ops equal what they stand for: F.interpolate(mode=
'nearest'), F.pad (reflect / replicate), and a crop equals the nearest
resize it replaces."""
import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ppgan_ext.modules.ops import (crop_to, edge_pad, reflect_pad,
                                   resize_nearest, upsample_nearest)


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


@pytest.mark.parametrize('pad', [1, 2, 3])
def test_reflect_and_edge_pad_equal_f_pad(pad):
    x = paddle.rand([2, 3, 5, 4])
    np.testing.assert_array_equal(
        reflect_pad(x, pad).numpy(),
        F.pad(x, [pad] * 4, mode='reflect').numpy())
    np.testing.assert_array_equal(
        edge_pad(x, pad).numpy(),
        F.pad(x, [pad] * 4, mode='replicate').numpy())


@pytest.mark.parametrize('extra', [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize('size', [(1, 1), (4, 7), (13, 6)])
def test_crop_equals_resize_when_one_larger_at_most(size, extra):
    ref = paddle.rand([1, 1, *size])
    x = paddle.rand([2, 3, size[0] + extra[0], size[1] + extra[1]])
    np.testing.assert_array_equal(crop_to(x, ref).numpy(),
                                  resize_nearest(x, size).numpy())
