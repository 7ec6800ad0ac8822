"""Face detection with 5 landmarks: ``FaceDetector().detect(rgb_uint8)``.

Backends:

* ``dlib-hog`` (default): dlib's HOG frontal-face detector, then dlib's
  5-point landmark model on each box. Fast (about 0.1-0.3 s for a 512x512
  photo on one CPU core), finds frontal and moderately turned or tilted
  faces.
* ``dlib-cnn``: dlib's CNN (MMOD) detector, the reference's choice; more
  precise, but about 50x slower on a CPU.
* ``cascade`` (``opencv`` / ``skimage``): the fallback when dlib is absent
  (see :mod:`.cascade`): no landmark model, so rotation is not corrected.

``auto`` is ``dlib-hog`` when dlib and its models are installed, else the
cascade, with a one-line note on stderr the first time.

The photo is searched at the scale where the smallest wanted face
(``min_face`` px) is as large as the smallest face the detector finds
(80 px, for HOG and MMOD), its longer side capped at ``max_side`` (so in a
photo larger than ``max_side * min_face / 80`` px the smallest faces found
are larger than ``min_face``); landmarks are found at full resolution.
Overlapping boxes of one face are merged (non-maximum suppression), weak HOG hits (``min_score``) dropped, and at most
``max_faces`` faces, the largest, returned, largest first.
"""
import sys
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import UserError
from . import cascade
from .dlib_models import (INSTALL_HINT, DlibUnavailableError,
                          dlib_available, import_dlib, load_model)

__all__ = ['FaceBox', 'FaceDetector', 'FaceDetectorError', 'BACKENDS',
           'LANDMARK_NAMES', 'available_backends', 'nms']

BACKENDS = ('auto', 'dlib-hog', 'dlib-cnn', 'cascade') + cascade.CASCADES
# dlib's 5-point order; "right"/"left" as seen in the image
LANDMARK_NAMES = ('right eye, outer corner', 'right eye, inner corner',
                  'left eye, outer corner', 'left eye, inner corner',
                  'base of the nose')
_WINDOW = {'dlib-hog': 80, 'dlib-cnn': 80}
# The astronaut's mission patch scores 0.12 with HOG; real faces in the test
# photos score 0.36 and more (docs/faces.md).
_MIN_SCORE = {'dlib-hog': 0.25, 'dlib-cnn': 0.0}
_noted_fallback = False


class FaceDetectorError(UserError, RuntimeError):
    """No usable face-detection backend, or an unknown one."""


@dataclass(frozen=True)
class FaceBox:
    """A square face box in image pixels, with 5 landmarks.

    ``landmarks``: ``((x, y), ...)`` in :data:`LANDMARK_NAMES` order, in
    image pixels; ``estimated`` when they come from the box (cascade), not
    from a landmark model.
    """
    top: int
    left: int
    size: int
    score: float = 1.0
    landmarks: tuple = None
    estimated: bool = False

    @property
    def points(self):
        """The landmarks as a (5, 2) float32 array (estimated from the box
        when there are none)."""
        if self.landmarks is not None:
            return np.asarray(self.landmarks, np.float32)
        return (cascade.BOX_LANDMARKS * self.size +
                np.float32([self.left, self.top]))

    def area_overlap(self, other):
        """(intersection over union, intersection over the smaller box)."""
        y0, x0 = max(self.top, other.top), max(self.left, other.left)
        y1 = min(self.top + self.size, other.top + other.size)
        x1 = min(self.left + self.size, other.left + other.size)
        inter = max(0, y1 - y0) * max(0, x1 - x0)
        a, b = self.size ** 2, other.size ** 2
        return inter / float(a + b - inter), inter / float(min(a, b))


def nms(boxes, iou=0.3, contained=0.6):
    """Keep the best-scoring box of each group of overlapping boxes: a box
    is dropped when it overlaps a kept one by more than ``iou`` (IoU) or
    lies more than ``contained`` inside it (the large-and-tight pair a
    cascade reports for one face)."""
    kept = []
    for box in sorted(boxes, key=lambda b: (-b.score, -b.size)):
        if all(o[0] <= iou and o[1] <= contained
               for o in (box.area_overlap(k) for k in kept)):
            kept.append(box)
    return kept


def available_backends():
    """Usable backend names, in order of preference."""
    names = ['dlib-hog', 'dlib-cnn'] if dlib_available() else []
    return names + cascade.available_cascades()


def _note_fallback(reason, used):
    global _noted_fallback
    if not _noted_fallback:
        _noted_fallback = True
        print(f'note: face detection falls back to the {used} cascade '
              f'({reason}): fewer faces found and rotation not corrected; '
              f'for dlib: {INSTALL_HINT}', file=sys.stderr)


def _rgb(img):
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f'face detection takes uint8 images, got {img.dtype}')
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


class FaceDetector:
    """Find faces and their 5 landmarks in uint8 RGB (or gray) photos.

    Args:
        backend: one of :data:`BACKENDS` (see the module docstring).
        min_face: smallest face side searched for, in photo pixels.
        max_faces: keep at most this many faces (the largest); None: all.
        min_score: drop detections scoring lower (dlib backends; default
            0.25 for HOG, 0 for MMOD).
        max_side: the photo is searched at most this large (longer side).
        nms_iou: overlap above which two boxes are one face.
    """

    def __init__(self, backend='auto', min_face=40, max_faces=None,
                 min_score=None, max_side=4096, nms_iou=0.3):
        if backend not in BACKENDS:
            raise FaceDetectorError(f"face detector backend '{backend}': "
                                    f'expected one of {list(BACKENDS)}')
        if min_face < 1 or (max_faces is not None and max_faces < 1):
            raise FaceDetectorError(f'min_face={min_face} and max_faces='
                                    f'{max_faces} must be >= 1')
        if backend == 'auto':
            backend = self._auto()
        elif backend.startswith('dlib'):
            try:
                load_model('landmarks5')
            except DlibUnavailableError as e:
                raise FaceDetectorError(f"backend '{backend}': {e}") from None
        elif backend == 'cascade' or backend in cascade.CASCADES:
            found = cascade.available_cascades()
            if backend == 'cascade' and found:
                backend = found[0]
            if backend not in found:
                raise FaceDetectorError(
                    f"backend '{backend}' is not available here (cascades "
                    f'found: {found or "none"})')
        self.backend = backend
        self.min_face, self.max_faces = int(min_face), max_faces
        self.min_score = (_MIN_SCORE.get(backend) if min_score is None
                          else float(min_score))
        self.max_side, self.nms_iou = int(max_side), float(nms_iou)
        self._cascade = (cascade.CascadeSearch(backend)
                         if backend in cascade.CASCADES else None)

    @staticmethod
    def _auto():
        try:
            load_model('landmarks5')
            return 'dlib-hog'
        except DlibUnavailableError as e:
            found = cascade.available_cascades()
            if not found:
                raise FaceDetectorError(
                    f'no face detector available: {e}; and neither '
                    "OpenCV's Haar cascade nor scikit-image's LBP cascade "
                    'was found') from None
            _note_fallback(str(e).split(';')[0], found[0])
            return found[0]

    def _search_scale(self, h, w, window):
        return min(window / self.min_face, self.max_side / max(h, w))

    def _dlib_boxes(self, rgb):
        h, w = rgb.shape[:2]
        f = self._search_scale(h, w, _WINDOW[self.backend])
        small = rgb if abs(f - 1) < 1e-3 else cv2.resize(
            rgb, (max(1, round(w * f)), max(1, round(h * f))),
            interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        if self.backend == 'dlib-hog':
            rects, scores, _ = load_model('hog').run(small, 0,
                                                     self.min_score)
        else:
            found = load_model('mmod')(small, 0)
            rects = [d.rect for d in found]
            scores = [d.confidence for d in found]
        dlib = import_dlib()
        out = []
        for r, s in zip(rects, scores):
            if s < self.min_score:
                continue
            side = max(r.width(), r.height()) / f
            cx, cy = (r.left() + r.right() + 1) / (2 * f), \
                (r.top() + r.bottom() + 1) / (2 * f)
            top, left = int(round(cy - side / 2)), int(round(cx - side / 2))
            size = int(round(side))
            rect = dlib.rectangle(left, top, left + size - 1, top + size - 1)
            shape = load_model('landmarks5')(rgb, rect)
            pts = tuple((float(p.x), float(p.y)) for p in shape.parts())
            out.append(FaceBox(top, left, size, float(s), pts))
        return out

    def _cascade_boxes(self, rgb):
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        h, w = gray.shape
        f = min(1.0, min(self.max_side, cascade.SEARCH_SIDE) / max(h, w))
        if f < 1:
            gray = cv2.resize(gray, (max(1, round(w * f)),
                                     max(1, round(h * f))),
                              interpolation=cv2.INTER_AREA)
        out = []
        for t, l, s in self._cascade(gray, max(16, int(self.min_face * f))):
            box = FaceBox(int(round(t / f)), int(round(l / f)),
                          int(round(s / f)))
            out.append(FaceBox(box.top, box.left, box.size, 1.0,
                               tuple(map(tuple, box.points.tolist())),
                               estimated=True))
        return out

    def detect(self, img):
        """``FaceBox`` list, largest first, for a uint8 HWC/HW photo."""
        rgb = _rgb(img)
        boxes = (self._cascade_boxes(rgb) if self._cascade is not None
                 else self._dlib_boxes(rgb))
        boxes = sorted(nms(boxes, self.nms_iou), key=lambda b: -b.size)
        return boxes[:self.max_faces] if self.max_faces else boxes
