"""``data/demo_faces_lfw``: 100 real face photos for the PGAN demo.

Built from ``skimage.data.lfw_subset()``, which scikit-image ships in its
wheel (nothing is downloaded): 200 grey 25x25 crops from Labeled Faces in the
Wild, of which the first 100 are faces and the last 100 background patches
(checked by eye). The array is float64 in [0, 1] (its docstring says uint8;
it is not). Each face is written as an 8-bit grey PNG ``face_NNN.png``.

Run ``python -m ppgan_ext.datasets.demo_faces [--root data]``.
"""
import argparse
import json
import os
import shutil
import tempfile

import numpy as np

from .pairs_writer import write_image

__all__ = ['build_demo_faces', 'lfw_faces', 'NUM_FACES']

NUM_FACES = 100
_STAMP = 'demo_faces.json'


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


def build_demo_faces(root='data', force=False, log=print):
    """Write ``<root>/demo_faces_lfw`` unless already built; return it."""
    out = os.path.join(root, 'demo_faces_lfw')
    recipe = {'source': 'skimage.data.lfw_subset', 'faces': NUM_FACES,
              'version': 1}
    stamp = os.path.join(out, _STAMP)
    if not force and os.path.isfile(stamp):
        try:
            with open(stamp) as f:
                if json.load(f) == recipe:
                    log(f'{out}: already built')
                    return out
        except (OSError, ValueError):
            pass
    faces = lfw_faces()
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        for i, face in enumerate(faces):
            write_image(os.path.join(tmp, f'face_{i:03d}.png'),
                        face[..., None])
        with open(os.path.join(tmp, _STAMP), 'w') as f:
            json.dump(recipe, f)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
        os.makedirs(tmp)  # TemporaryDirectory removes it on exit
    log(f'{out}: {len(faces)} faces of {faces.shape[1]}x{faces.shape[2]}')
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description='Build data/demo_faces_lfw.')
    parser.add_argument('--root', default='data', help='output folder')
    parser.add_argument('--force', action='store_true', help='rebuild')
    args = parser.parse_args(argv)
    build_demo_faces(args.root, force=args.force)


if __name__ == '__main__':
    main()
