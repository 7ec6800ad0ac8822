"""Run an image-to-image network over a large image in overlapping tiles.

Each tile of ``tile`` x ``tile`` input pixels is processed together with an
``overlap``-pixel margin of real image around it (clamped at the image
edges); only the tile's own part of the output is kept. When ``overlap`` is
at least the network's receptive-field radius the result equals running the
whole image at once (the margin absorbs every border effect), while memory
depends on the tile size, not on the image size.
"""
import numpy as np

from ..progress import progress

__all__ = ['tiled_apply']


def _starts(length, tile):
    return list(range(0, length, tile)) if tile < length else [0]


def tiled_apply(fn, image, scale, tile=None, overlap=16, post=None):
    """Apply ``fn`` (CHW float32 array -> C'H'W' array, ``H' = scale*H``)
    to a CHW ``image`` tile by tile; ``tile=None`` runs it whole.

    ``post`` (e.g. de-normalise to uint8) is applied to each tile's output
    before it is stored, so the full-size buffer holds the final type.
    """
    post = post or (lambda a: a)
    c, h, w = image.shape
    if not tile or (tile >= h and tile >= w):
        return post(fn(image))
    if tile < 1 or overlap < 0:
        raise ValueError(f'tile must be >= 1 and overlap >= 0, got tile='
                         f'{tile}, overlap={overlap}')
    out = None
    corners = [(y, x) for y in _starts(h, tile) for x in _starts(w, tile)]
    for y, x in progress(corners, 'tiles', unit='tile', nested=True):
        y1, x1 = min(y + tile, h), min(x + tile, w)
        py0, px0 = max(y - overlap, 0), max(x - overlap, 0)
        py1, px1 = min(y1 + overlap, h), min(x1 + overlap, w)
        piece = post(fn(np.ascontiguousarray(image[:, py0:py1, px0:px1])))
        if out is None:
            out = np.zeros((piece.shape[0], h * scale, w * scale),
                           dtype=piece.dtype)
        oy, ox = (y - py0) * scale, (x - px0) * scale
        out[:, y * scale:y1 * scale, x * scale:x1 * scale] = \
            piece[:, oy:oy + (y1 - y) * scale, ox:ox + (x1 - x) * scale]
    return out
