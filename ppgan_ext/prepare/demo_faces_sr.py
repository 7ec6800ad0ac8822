"""``data/demo_faces``: a small real face set for the SPARNet demo and tests.

Built from what scikit-image ships (nothing is downloaded):

* ``skimage.data.lfw_subset()``: 200 grey 25x25 crops from Labeled Faces in
  the Wild; the first 100 are faces, the last 100 are not (with the LBP
  cascade, 92 of the first 100 and 1 of the last 100 trigger a detection
  once up-sampled to 100x100). The 100 faces are bicubic-upsampled to
  128x128 (RGB, grey replicated): faces 0-89 -> ``train``, 90-99 -> ``test``.
* ``skimage.data.astronaut()``: its one face (Eileen Collins), cropped with
  a 25% margin around the box scikit-image's LBP cascade finds
  (:data:`ASTRONAUT_BOX`, fixed so the demo data never changes) -> the
  colour test face ``test/astronaut.png``. The other photos have no usable
  face (``camera()``'s photographer is turned to his camera and is not
  detected).

Folders: ``train`` and ``test`` (128x128 HR faces) and ``test_LR`` (their
16x16 bicubic LR versions, for evaluating on LR inputs).
"""
import os
import shutil
import tempfile

import numpy as np

from ..faceutils import FaceBox, crop_face
from ..io.images import bicubic_resize, read_image, write_image
from ..progress import progress
from .build_stamp import is_built, write_stamp
from .demo_faces_lfw import lfw_faces

__all__ = ['build_demo_faces', 'N_TRAIN_LFW', 'FACE_SIZE', 'LR_SIZE']

FACE_SIZE, LR_SIZE = 128, 16
N_LFW_FACES, N_TRAIN_LFW = 100, 90
# Where scikit-image's LBP cascade finds the astronaut's face
ASTRONAUT_BOX = FaceBox(top=64, left=175, size=99)


def _astronaut_face():
    import skimage.data
    return crop_face(skimage.data.astronaut(), ASTRONAUT_BOX, margin=0.25,
                     size=FACE_SIZE)[0]


def _lfw_faces():
    for i, grey in enumerate(lfw_faces()[:N_LFW_FACES]):
        up = bicubic_resize(grey[..., None], (FACE_SIZE, FACE_SIZE))
        yield i, np.repeat(up, 3, axis=2)


def build_demo_faces(root='data', force=False, log=print):
    """Build ``<root>/demo_faces`` unless it is already there; returns it."""
    out = os.path.join(root, 'demo_faces')
    recipe = {'lfw_faces': N_LFW_FACES, 'lfw_train': N_TRAIN_LFW,
              'size': FACE_SIZE, 'lr_size': LR_SIZE, 'test_photo':
              'astronaut', 'version': 1}
    if not force and is_built(out, recipe):
        log(f'{out}: already built')
        return out
    with tempfile.TemporaryDirectory(dir=root if os.path.isdir(root)
                                     else None) as tmp:
        counts = {'train': 0, 'test': 0}
        for i, face in progress(_lfw_faces(), 'demo_faces', N_LFW_FACES,
                                'face'):
            split = 'train' if i < N_TRAIN_LFW else 'test'
            write_image(os.path.join(tmp, split, f'lfw_{i:03d}.png'), face)
            counts[split] += 1
        write_image(os.path.join(tmp, 'test', 'astronaut.png'),
                    _astronaut_face())
        counts['test'] += 1
        for name in sorted(os.listdir(os.path.join(tmp, 'test'))):
            hr = read_image(os.path.join(tmp, 'test', name))
            write_image(os.path.join(tmp, 'test_LR', name),
                        bicubic_resize(hr, (LR_SIZE, LR_SIZE)))
        write_stamp(tmp, recipe)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(root, exist_ok=True)
        shutil.move(tmp, out)
        os.makedirs(tmp)  # TemporaryDirectory removes it on exit
    log(f'{out}: train {counts["train"]} faces, test {counts["test"]} faces '
        f'(+ test_LR {LR_SIZE}x{LR_SIZE})')
    return out
