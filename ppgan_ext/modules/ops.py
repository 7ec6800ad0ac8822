"""Resizing ops written so exported graphs run on Paddle Inference's oneDNN path.

Paddle 3.3's inference executor cannot run ``interpolate`` ops (nearest or
bilinear, scale or size) under oneDNN: it fails with "ConvertPirAttribute2
RuntimeAttribute not support pir::ArrayAttribute<pir::DoubleAttribute>".
The plugin's generators therefore express nearest up-sampling with tile +
reshape and nearest resizing with index_select, which oneDNN runs; both are
exactly equal to ``F.interpolate(mode='nearest')`` (tests/models/test_ops.py)
and work with dynamic batch and spatial sizes under ``paddle.jit.to_static``.

:func:`reflect_pad`, :func:`edge_pad` and :func:`crop_to` serve the export
forms (``ppgan_ext.deploy.export_forms``): padding as slices + concat
(Paddle's ``pad3d`` kernel took ~40% of a SPARNet forward on CPU) and a crop
for a nearest resize that only drops a trailing row / column.
"""
import paddle

__all__ = ['upsample_nearest', 'resize_nearest', 'reflect_pad', 'edge_pad',
           'crop_to']


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


def _rows(x, axis, indices):
    """Single rows ``x[..., i:i+1, ...]`` along ``axis`` (2 or 3)."""
    rows = []
    for i in indices:
        end = i + 1 or None  # the last row, i = -1, ends at None
        rows.append(x[:, :, i:end] if axis == 2 else x[:, :, :, i:end])
    return rows


def _pad_by_concat(x, before, after):
    for axis in (2, 3):
        x = paddle.concat(_rows(x, axis, before) + [x] + _rows(x, axis, after),
                          axis=axis)
    return x


def reflect_pad(x, pad):
    """``F.pad(x, [pad] * 4, mode='reflect')`` of an NCHW tensor, as slices
    and concats (needs H, W > pad, as reflect padding does)."""
    return _pad_by_concat(x, range(pad, 0, -1), range(-2, -2 - pad, -1))


def edge_pad(x, pad):
    """``F.pad(x, [pad] * 4, mode='replicate')`` of an NCHW tensor, as
    slices and concats."""
    return _pad_by_concat(x, [0] * pad, [-1] * pad)


def crop_to(x, ref):
    """``x`` cut to ``ref``'s height and width (top-left part).

    Equals ``resize_nearest(x, ref size)`` when x is as large as ref or one
    row / column larger: ``floor(i * (n + 1) / n) == i`` for ``i < n``.
    """
    shape = paddle.shape(ref)
    return x[:, :, :shape[2], :shape[3]]
