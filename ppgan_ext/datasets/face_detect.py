"""Frontal-face detection and square face crops, with no downloads.

Backends, first available wins:

* ``opencv``: ``cv2.CascadeClassifier`` with OpenCV's bundled
  ``haarcascade_frontalface_default.xml`` (``cv2.data.haarcascades``; present
  in OpenCV 4 wheels, gone from OpenCV 5);
* ``skimage``: ``skimage.feature.Cascade`` with the LBP frontal-face cascade
  that scikit-image ships (``skimage/data/lbpcascade_frontalface_opencv.xml``).

Large photos are searched on a copy whose longer side is at most
``max_side`` pixels; boxes are returned in the original's pixels as
``FaceBox(top, left, size)``, largest first.
"""
import os
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..progress import echo, progress
from .degradations import bicubic_resize

__all__ = ['FaceBox', 'FaceDetector', 'FaceDetectorError', 'crop_face',
           'available_backends', 'FaceCropReport', 'write_face_crops']


_DEFAULT_NEIGHBORS = {'opencv': 5, 'skimage': 8}


class FaceDetectorError(UserError, RuntimeError):
    """No face-detection backend (cascade file) is available."""


@dataclass(frozen=True)
class FaceBox:
    """A square face box in image pixels."""
    top: int
    left: int
    size: int


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


def available_backends():
    """Names of the usable backends, in order of preference."""
    names = []
    if _opencv_cascade() is not None:
        names.append('opencv')
    if _skimage_cascade_path() is not None:
        names.append('skimage')
    return names


def _gray(img):
    if img.ndim == 3 and img.shape[2] == 3:
        y = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114],
                                              np.float32)
        return np.clip(y + 0.5, 0, 255).astype(np.uint8)
    return img.reshape(img.shape[:2]).astype(np.uint8)


class FaceDetector:
    """Find frontal faces in uint8 RGB/gray images.

    Args:
        backend: 'auto', 'opencv' or 'skimage'.
        min_face: smallest face side searched for, in original pixels.
        min_face_frac: smallest face side as a fraction of the image's
            shorter side (cuts cascade false positives in textures).
        scale_factor: pyramid step of the sliding-window search.
        min_neighbors: overlapping detections needed to accept a face
            (default: 5 for OpenCV's Haar cascade, 8 for scikit-image's LBP
            cascade, which fires more often on textures such as cat fur).
        max_side: photos are searched at most this large (longer side).
    """

    def __init__(self, backend='auto', min_face=40, min_face_frac=0.1,
                 scale_factor=1.1, min_neighbors=None, max_side=640):
        backends = available_backends()
        if backend == 'auto':
            if not backends:
                raise FaceDetectorError(
                    'no face detector available: neither OpenCV\'s bundled '
                    'Haar cascade nor scikit-image\'s LBP cascade was found')
            backend = backends[0]
        elif backend not in ('opencv', 'skimage'):
            raise ValueError(f"backend='{backend}': expected 'auto', "
                             "'opencv' or 'skimage'")
        elif backend not in backends:
            raise FaceDetectorError(f"backend='{backend}' is not available "
                                    f'here (available: {backends})')
        self.backend = backend
        self.min_face, self.min_face_frac = int(min_face), float(min_face_frac)
        if min_neighbors is None:
            min_neighbors = _DEFAULT_NEIGHBORS[backend]
        self.scale_factor, self.min_neighbors = scale_factor, min_neighbors
        self.max_side = int(max_side)
        if backend == 'opencv':
            self._clf = _opencv_cascade()
        else:
            from skimage.feature import Cascade
            self._clf = Cascade(_skimage_cascade_path())

    def _search(self, gray, min_size):
        h, w = gray.shape
        if self.backend == 'opencv':
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

    def detect(self, img):
        """``FaceBox`` list (largest first) for a uint8 HWC or HW image."""
        gray = _gray(np.asarray(img))
        h, w = gray.shape
        shrink = min(1.0, self.max_side / max(h, w))
        if shrink < 1.0:
            small = (max(1, int(round(w * shrink))),
                     max(1, int(round(h * shrink))))
            gray = bicubic_resize(gray[..., None], small)[..., 0]
        want = max(self.min_face, int(self.min_face_frac * min(h, w)))
        min_size = max(16, int(want * shrink))
        if min(gray.shape) < min_size:
            return []
        boxes = [FaceBox(int(round(t / shrink)), int(round(l / shrink)),
                         int(round(s / shrink)))
                 for t, l, s in self._search(gray, min_size)]
        return sorted(boxes, key=lambda b: -b.size)


def crop_face(img, box, margin=0.25, size=None):
    """Square crop around ``box`` enlarged by ``margin`` of its side on every
    side (black padding where it leaves the image), optionally resized to
    ``size``. Returns ``(crop, (top, left, side))`` in image pixels."""
    if margin < 0:
        raise ValueError(f'margin={margin} must be >= 0')
    side = int(round(box.size * (1 + 2 * margin)))
    cy, cx = box.top + box.size / 2.0, box.left + box.size / 2.0
    top, left = int(round(cy - side / 2.0)), int(round(cx - side / 2.0))
    h, w = img.shape[:2]
    out = np.zeros((side, side) + img.shape[2:], img.dtype)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + side, h), min(left + side, w)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = img[y0:y1, x0:x1]
    if size is not None and side != size:
        out = bicubic_resize(out, (size, size))
    return out, (top, left, side)


@dataclass
class FaceCropReport:
    """What :func:`write_face_crops` did."""
    files: int = 0
    images: int = 0
    faces: int = 0
    skipped: list = None   # (path, reason) of bad or faceless inputs

    def __post_init__(self):
        self.skipped = [] if self.skipped is None else self.skipped

    def summary(self):
        bad = sum(1 for _, r in self.skipped if not r.startswith('no face'))
        faceless = len(self.skipped) - bad
        return (f'{self.files} file(s): {self.images} image(s) read, '
                f'{self.faces} face(s) written, '
                f'{faceless} without a face, {bad} unreadable')


def write_face_crops(paths, out, size=128, margin=0.25, already_cropped=False,
                     max_faces=1, detector=None, ext='.png', log=echo):
    """Crop faces from ``paths`` into ``out`` as ``size`` x ``size`` images.

    ``already_cropped``: every input is a face; it is only centre-cropped to
    a square and resized. Otherwise up to ``max_faces`` detected faces per
    photo (largest first) are written as ``<stem>.png`` (the largest) and
    ``<stem>_face<k>.png``. Unreadable and faceless inputs are reported and
    skipped. Returns a :class:`FaceCropReport`.
    """
    from .face_transforms import square_resize
    from .image_io import ImageReadError, read_image
    from .pairs_writer import write_image
    if not already_cropped and detector is None:
        detector = FaceDetector()
    report = FaceCropReport()
    for path in progress(paths, 'face crops', unit='photo'):
        report.files += 1
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            img = read_image(path)
        except ImageReadError as e:
            report.skipped.append((path, str(e)))
            log(f'skip: {e}')
            continue
        report.images += 1
        if already_cropped:
            write_image(os.path.join(out, stem + ext),
                        square_resize(img, size))
            report.faces += 1
            continue
        boxes = detector.detect(img)[:max(1, int(max_faces))]
        if not boxes:
            reason = f'no face found in {path}'
            report.skipped.append((path, reason))
            log(f'skip: {reason}')
            continue
        for k, box in enumerate(boxes):
            crop, _ = crop_face(img, box, margin, size)
            name = stem if k == 0 else f'{stem}_face{k}'
            write_image(os.path.join(out, name + ext), crop)
            report.faces += 1
    return report
