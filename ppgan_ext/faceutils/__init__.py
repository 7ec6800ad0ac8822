"""Face utilities around the face models (the role of ``ppgan.faceutils``):
detection with 5 landmarks, template alignment, paste-back.

    from ppgan_ext.faceutils import FaceDetector, align_face, paste_faces
    faces = FaceDetector().detect(rgb_uint8)       # dlib HOG + 5 landmarks
    crop, matrix = align_face(rgb_uint8, faces[0].points, 512, 'ffhq')
    photo = paste_faces(rgb_uint8, [(restored_crop, matrix)])

dlib is imported on first use only (see :mod:`.dlib_models`); without it
the detector falls back to a cascade (:mod:`.cascade`).
"""
from .align import (TEMPLATES, align_face, crop_face, default_template,
                    feather_mask, fit_similarity, paste_faces,
                    template_points)
from .detector import (BACKENDS, LANDMARK_NAMES, FaceBox, FaceDetector,
                       FaceDetectorError, available_backends, nms)
from .dlib_models import DlibUnavailableError, dlib_available

__all__ = ['FaceBox', 'FaceDetector', 'FaceDetectorError', 'BACKENDS',
           'LANDMARK_NAMES', 'available_backends', 'nms', 'TEMPLATES',
           'default_template', 'template_points', 'fit_similarity',
           'align_face', 'crop_face', 'feather_mask', 'paste_faces',
           'DlibUnavailableError', 'dlib_available']
