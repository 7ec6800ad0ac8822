"""dlib's 68 landmarks and 128-D face descriptors of a face in a known box.

Both take the box from elsewhere (for SR metrics: the face found on the
ground truth), so an SR face and its ground truth are measured in the same
box and differ only by what the models see in the pixels.
"""
import numpy as np

from .detector import _rgb
from .dlib_models import import_dlib, load_model

__all__ = ['landmarks68', 'face_descriptor', 'DESCRIPTOR_CHIP']

# dlib's recognition model takes 150x150 chips with 25 % padding
DESCRIPTOR_CHIP = {'size': 150, 'padding': 0.25}


def _rect(face):
    dlib = import_dlib()
    return dlib.rectangle(face.left, face.top, face.left + face.size - 1,
                          face.top + face.size - 1)


def landmarks68(img, face):
    """(68, 2) float32 iBUG landmarks (x, y) of the face in ``face``'s box."""
    shape = load_model('landmarks68')(_rgb(img), _rect(face))
    return np.array([(p.x, p.y) for p in shape.parts()], np.float32)


def face_descriptor(img, face):
    """dlib's 128-D descriptor of the face in ``face``'s box: 5 landmarks
    found in the box, a 150x150 chip aligned on them, the ResNet's output."""
    dlib = import_dlib()
    rgb = _rgb(img)
    shape = load_model('landmarks5')(rgb, _rect(face))
    chip = dlib.get_face_chip(rgb, shape, **DESCRIPTOR_CHIP)
    return np.array(load_model('descriptor').compute_face_descriptor(chip),
                    np.float64)
