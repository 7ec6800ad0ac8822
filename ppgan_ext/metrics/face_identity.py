"""Identity and landmark accuracy of SR faces, with dlib's models (offline).

SPARNet's paper judges SR faces also by whether they keep the person and
the face's geometry. For each SR / HR pair (HxWx3 uint8 RGB, as
``validate.metrics`` gets them):

* the face is found on the HR image (dlib HOG, the largest face; faces
  smaller than a quarter of the image side are not searched for) and that
  one box is used for both images;
* :class:`FaceIdentitySimilarity`: cosine similarity of dlib's 128-D face
  descriptors (``dlib_face_recognition_resnet_model_v1``) of SR and HR;
  1 for identical faces; two photos of different people score about 0.88;
* :class:`FaceLandmarkNME`: mean distance between the 68 landmarks dlib's
  predictor finds on SR and on HR, divided by the HR's inter-ocular
  distance (outer eye corners, landmarks 36 and 45, as in 300-W); 0 for
  identical faces.

Pairs whose HR image has no detectable face are left out of the mean (NaN
when no pair has one); how many is logged at each validation. Scores are
averaged over every rank's pairs. Without dlib, building either metric fails with one line saying how
to install it.
"""
import hashlib
import logging

import numpy as np
from ppgan.metrics.builder import METRICS

from ..faceutils import DlibUnavailableError, FaceDetector
from ..faceutils.dlib_models import load_model
from ..faceutils.recognition import face_descriptor, landmarks68
from ..registry import register
from .face_psnr_ssim import _FaceMetric, all_reduce_sums

__all__ = ['FaceIdentitySimilarity', 'FaceLandmarkNME', 'identity_similarity',
           'landmark_nme', 'hr_face']

MIN_FACE_FRACTION = 0.25


_HR_FACES = {}  # HR image digest -> its face: the same HR images come back
_HR_FACES_MAX = 10000  # at every validation, for every face metric


def hr_face(gt):
    """The largest face dlib's HOG finds in ``gt`` (or None); found once
    per HR image."""
    key = (gt.shape, hashlib.blake2b(np.ascontiguousarray(gt).tobytes(),
                                     digest_size=16).digest())
    if key not in _HR_FACES:
        side = min(gt.shape[:2])
        faces = FaceDetector('dlib-hog', min_face=max(16, int(
            MIN_FACE_FRACTION * side)), max_faces=1).detect(gt)
        if len(_HR_FACES) >= _HR_FACES_MAX:
            _HR_FACES.clear()
        _HR_FACES[key] = faces[0] if faces else None
    return _HR_FACES[key]


def identity_similarity(sr, gt, face):
    """Cosine similarity of the 128-D descriptors of ``sr`` and ``gt``."""
    a, b = face_descriptor(sr, face), face_descriptor(gt, face)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def landmark_nme(sr, gt, face):
    """Mean 68-landmark distance SR vs HR over the HR's outer-eye-corner
    distance."""
    p, q = landmarks68(sr, face), landmarks68(gt, face)
    ocular = float(np.linalg.norm(q[36] - q[45]))
    return float(np.linalg.norm(p - q, axis=1).mean() / max(ocular, 1e-6))


class _DlibFaceMetric(_FaceMetric):
    _models = ()          # dlib models the score needs
    _pair_score = None    # fn(sr, gt, face) -> float

    def __init__(self):
        try:
            for kind in self._models:
                load_model(kind)
        except DlibUnavailableError as e:
            raise DlibUnavailableError(f'metric {type(self).__name__}: {e}'
                                       ) from None
        super().__init__(crop_border=0)

    def name(self):
        return type(self).__name__

    def reset(self):
        super().reset()
        self.no_face = 0

    def _score(self, pred, gt, crop_border):
        face = hr_face(np.asarray(gt))
        if face is None:
            self.no_face += 1
            return None
        return self._pair_score(np.asarray(pred), np.asarray(gt), face)

    def accumulate(self):
        """Mean over every rank's pairs with a face (NaN if none had one)."""
        total, count, no_face = all_reduce_sums([self.total, self.count,
                                                 self.no_face])
        if no_face:
            logging.getLogger('ppgan').info(
                f'{self.name()}: no face found in {int(no_face)} HR '
                'image(s); left out of the mean')
        return total / count if count else float('nan')


@register(METRICS)
class FaceIdentitySimilarity(_DlibFaceMetric):
    """Mean cosine similarity of dlib face descriptors, SR vs HR."""
    _models = ('landmarks5', 'descriptor')
    _pair_score = staticmethod(identity_similarity)


@register(METRICS)
class FaceLandmarkNME(_DlibFaceMetric):
    """Mean 68-landmark error of SR vs HR, over the inter-ocular distance."""
    _models = ('landmarks5', 'landmarks68')
    _pair_score = staticmethod(landmark_nme)
