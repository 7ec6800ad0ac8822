"""The embedded demo data: small real datasets built from scikit-image's photos.

Nothing is downloaded: scikit-image ships these photos inside its wheel.

``data/demo_sr`` (animeSR layout, bicubic x2/x3/x4):
    train  -- 192x192 tiles of coffee, rocket, immunohistochemistry, the
              Hubble deep field, retina and motorcycle photos;
    test   -- held-out photos never tiled into train: astronaut (a face,
              288x288) and chelsea (the cat, 300x444).
"""
import os
import shutil
import tempfile

import numpy as np

from ..io.images import bicubic_resize, write_image
from ..progress import progress
from .build_stamp import is_built, write_stamp
from .pairs_writer import write_pairs

__all__ = ['build_demo_sr', 'DEMO_SR_SCALES', 'TRAIN_PHOTOS', 'TEST_PHOTOS']

DEMO_SR_SCALES = (2, 3, 4)
TILE = 192
TRAIN_PHOTOS = ('coffee', 'rocket', 'immunohistochemistry',
                'hubble_deep_field', 'retina', 'motorcycle_left')
TEST_PHOTOS = {'astronaut': (288, 288), 'chelsea': None}


def _photo(name):
    import skimage.data
    if name == 'motorcycle_left':
        img = skimage.data.stereo_motorcycle()[0]
    else:
        img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def _tiles(img, tile):
    h, w = img.shape[:2]
    if h >= 4 * tile * 2:  # very large photos (retina): halve first
        img = bicubic_resize(img, (w // 2, h // 2))
        h, w = img.shape[:2]
    for y in range(0, h - tile + 1, tile):
        for x in range(0, w - tile + 1, tile):
            yield y // tile, x // tile, img[y:y + tile, x:x + tile]


def build_demo_sr(root='data', force=False, log=print):
    """Build ``<root>/demo_sr`` unless it is already there; returns its path."""
    out = os.path.join(root, 'demo_sr')
    recipe = {'train': list(TRAIN_PHOTOS), 'test': sorted(TEST_PHOTOS),
              'tile': TILE, 'scales': list(DEMO_SR_SCALES), 'version': 1}
    if not force and is_built(out, recipe):
        log(f'{out}: already built')
        return out
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_hr, test_hr = os.path.join(tmp, 'train'), os.path.join(tmp, 'test')
        for name in progress(TRAIN_PHOTOS, 'demo_sr photos', unit='photo'):
            for r, c, tile in _tiles(_photo(name), TILE):
                write_image(os.path.join(train_hr, f'{name}_{r}{c}.png'), tile)
        for name, size in TEST_PHOTOS.items():
            img = _photo(name)
            if size is not None:
                img = bicubic_resize(img, size)
            write_image(os.path.join(test_hr, f'{name}.png'), img)
        for split, hr in (('train', train_hr), ('test', test_hr)):
            report = write_pairs(hr, out, split, DEMO_SR_SCALES, log=log)
            log(f'{out}/{split}: {report.summary()}')
    write_stamp(out, recipe)
    return out
