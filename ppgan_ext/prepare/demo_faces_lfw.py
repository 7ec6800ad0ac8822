"""``data/demo_faces_lfw``: 100 real face photos for the PGAN demo.

Built from ``skimage.data.lfw_subset()``, which scikit-image ships in its
wheel (nothing is downloaded): 200 grey 25x25 crops from Labeled Faces in the
Wild, of which the first 100 are faces and the last 100 background patches
(checked by eye). The array is float64 in [0, 1] (its docstring says uint8;
it is not). Each face is written as an 8-bit grey PNG ``face_NNN.png``.

Built by ``python tools/prepare_demo_data.py`` (with the other demo data).
"""
import os
import shutil
import tempfile

import numpy as np

from ..io.images import write_image
from ..progress import progress
from .build_stamp import is_built, write_stamp

__all__ = ['build_demo_faces_lfw', 'lfw_faces', 'NUM_FACES']

NUM_FACES = 100


def lfw_faces():
    """The 100 LFW faces as a uint8 array (100, 25, 25)."""
    import skimage.data
    images = np.asarray(skimage.data.lfw_subset())
    if images.shape[0] < NUM_FACES or images.ndim != 3:
        raise ValueError(f'skimage.data.lfw_subset() has shape '
                         f'{images.shape}; expected (200, 25, 25)')
    faces = images[:NUM_FACES].astype(np.float64)
    if faces.max() <= 1.0:
        faces = faces * 255.0
    return np.clip(np.round(faces), 0, 255).astype(np.uint8)


def build_demo_faces_lfw(root='data', force=False, log=print):
    """Write ``<root>/demo_faces_lfw`` unless already built; return it."""
    out = os.path.join(root, 'demo_faces_lfw')
    recipe = {'source': 'skimage.data.lfw_subset', 'faces': NUM_FACES,
              'version': 1}
    if not force and is_built(out, recipe):
        log(f'{out}: already built')
        return out
    faces = lfw_faces()
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        for i, face in enumerate(progress(faces, 'demo_faces_lfw',
                                          unit='face')):
            write_image(os.path.join(tmp, f'face_{i:03d}.png'),
                        face[..., None])
        write_stamp(tmp, recipe)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
        os.makedirs(tmp)  # TemporaryDirectory removes it on exit
    log(f'{out}: {len(faces)} faces of {faces.shape[1]}x{faces.shape[2]}')
    return out
