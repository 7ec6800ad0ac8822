"""Resizing ops written so exported graphs run on Paddle Inference's oneDNN path.

Paddle 3.3's inference executor cannot run ``interpolate`` ops (nearest or
bilinear, scale or size) under oneDNN: it fails with "ConvertPirAttribute2
RuntimeAttribute not support pir::ArrayAttribute<pir::DoubleAttribute>".
The plugin's generators therefore express nearest up-sampling with tile +
reshape and nearest resizing with index_select, which oneDNN runs; both are
exactly equal to ``F.interpolate(mode='nearest')`` (tests/models/test_ops.py)
and work with dynamic batch and spatial sizes under ``paddle.jit.to_static``.
"""
import paddle

__all__ = ['upsample_nearest', 'resize_nearest']


def upsample_nearest(x, factor=2):
    """Nearest up-sampling of an NCHW tensor by an integer ``factor``."""
    if factor == 1:
        return x
    shape = paddle.shape(x)
    y = paddle.tile(x.unsqueeze([3, 5]), [1, 1, 1, factor, 1, factor])
    return paddle.reshape(
        y, [shape[0], shape[1], shape[2] * factor, shape[3] * factor])


def _nearest_index(in_len, out_len):
    # source index of each output position: floor(i * in / out), as
    # F.interpolate(mode='nearest', align_corners=False)
    return paddle.floor_divide(
        paddle.arange(out_len, dtype='int64') * in_len.astype('int64'),
        paddle.to_tensor(out_len, dtype='int64') if isinstance(out_len, int)
        else out_len.astype('int64'))


def resize_nearest(x, size):
    """Nearest resize of an NCHW tensor to ``size = (h, w)`` (ints or 0-d
    int tensors, e.g. ``paddle.shape(ref)[2]``)."""
    shape = paddle.shape(x)
    rows = _nearest_index(shape[2], size[0])
    cols = _nearest_index(shape[3], size[1])
    return paddle.index_select(paddle.index_select(x, rows, axis=2), cols,
                               axis=3)
