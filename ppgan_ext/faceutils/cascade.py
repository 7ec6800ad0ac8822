"""The fallback face detector when dlib is absent: a frontal-face cascade.

* ``opencv``: ``cv2.CascadeClassifier`` with OpenCV's bundled
  ``haarcascade_frontalface_default.xml`` (``cv2.data.haarcascades``; in
  OpenCV 4 wheels, gone from OpenCV 5);
* ``skimage``: ``skimage.feature.Cascade`` with the LBP frontal-face cascade
  scikit-image ships (``skimage/data/lbpcascade_frontalface_opencv.xml``).

A cascade gives boxes only. Its 5 landmarks are estimated from the box
(:data:`BOX_LANDMARKS`: where dlib's 5-point model puts them, relative to the
LBP cascade's box, median over the 69 faces of scikit-image's LFW subset,
astronaut and matplotlib's Grace Hopper that both find, made symmetric), so
alignment centres and scales the face but cannot correct its rotation.
Cascades fire on textures, so faces smaller than a tenth of the photo's
shorter side are not searched for; photos are searched at most
:data:`SEARCH_SIDE` px large.
"""
import os

import numpy as np

__all__ = ['CASCADES', 'available_cascades', 'CascadeSearch',
           'BOX_LANDMARKS']

CASCADES = ('opencv', 'skimage')
_DEFAULT_NEIGHBORS = {'opencv': 5, 'skimage': 8}
MIN_FACE_FRACTION = 0.1
SEARCH_SIDE = 640  # photos are searched at most this large (longer side)
# (x, y) per landmark in units of the box side from its top-left corner,
# in dlib's 5-point order (see detector.LANDMARK_NAMES)
BOX_LANDMARKS = np.array([[0.80, 0.38], [0.63, 0.38], [0.20, 0.38],
                          [0.37, 0.38], [0.50, 0.69]], np.float32)


def _opencv_cascade():
    try:
        import cv2
    except ImportError:
        return None
    folder = getattr(getattr(cv2, 'data', None), 'haarcascades', None)
    if not folder or not hasattr(cv2, 'CascadeClassifier'):
        return None
    path = os.path.join(folder, 'haarcascade_frontalface_default.xml')
    if not os.path.isfile(path):
        return None
    clf = cv2.CascadeClassifier(path)
    return None if clf.empty() else clf


def _skimage_cascade_path():
    try:
        import skimage
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(skimage.__file__), 'data',
                        'lbpcascade_frontalface_opencv.xml')
    return path if os.path.isfile(path) else None


def available_cascades():
    """Names of the usable cascades, in order of preference."""
    names = []
    if _opencv_cascade() is not None:
        names.append('opencv')
    if _skimage_cascade_path() is not None:
        names.append('skimage')
    return names


class CascadeSearch:
    """Sliding-window search of one cascade on a gray uint8 image.

    Args:
        kind: 'opencv' or 'skimage' (must be available).
        scale_factor: pyramid step.
        min_neighbors: overlapping detections needed to accept a face
            (default 5 for OpenCV's Haar cascade, 8 for scikit-image's LBP
            cascade, which fires more often on textures such as cat fur).
    """

    def __init__(self, kind, scale_factor=1.1, min_neighbors=None):
        self.kind = kind
        self.scale_factor = scale_factor
        self.min_neighbors = (_DEFAULT_NEIGHBORS[kind] if min_neighbors is None
                              else min_neighbors)
        if kind == 'opencv':
            self._clf = _opencv_cascade()
        else:
            from skimage.feature import Cascade
            self._clf = Cascade(_skimage_cascade_path())

    def __call__(self, gray, min_size):
        """``(top, left, side)`` boxes of faces at least ``min_size`` px."""
        h, w = gray.shape
        min_size = max(min_size, int(MIN_FACE_FRACTION * min(h, w)))
        if min(h, w) < min_size:
            return []
        if self.kind == 'opencv':
            boxes = self._clf.detectMultiScale(
                gray, scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors, minSize=(min_size, min_size))
            return [(int(y), int(x), int(max(bw, bh)))
                    for x, y, bw, bh in np.asarray(boxes).reshape(-1, 4)]
        found = self._clf.detect_multi_scale(
            img=gray, scale_factor=self.scale_factor, step_ratio=1,
            min_size=(min_size, min_size), max_size=(min(h, w), min(h, w)),
            min_neighbor_number=self.min_neighbors)
        return [(int(d['r']), int(d['c']), int(max(d['width'], d['height'])))
                for d in found]
