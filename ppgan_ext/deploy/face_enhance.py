"""Enhance the faces in whole photos (what Face-SPARNet's
``test_enhance_single_unalign.py`` does): detect, crop, restore, paste back.

Each detected face is cut out as a square around the detector's box (with a
``margin``), resized to the face model's input size (SPARNet 128, SPARNetHD
512), restored, resized back and blended into the photo through a mask that
is 1 in the middle and fades to 0 over the outer ``feather`` fraction of the
crop, so no seam shows. "Alignment" here is this centring and scale
normalisation: no facial-landmark model ships with OpenCV or scikit-image, so
in-plane rotation is not corrected. Pixels outside every face crop are left
exactly as they were.
"""
import numpy as np

from ..datasets.degradations import bicubic_resize
from ..datasets.face_detect import FaceDetector, crop_face
from ..config import ConfigError
from .predictor import SRPredictor

__all__ = ['FaceEnhancer', 'feather_mask']


def feather_mask(side, feather=0.1):
    """``side`` x ``side`` float mask: 1 inside, linear fade to 0 over the
    outer ``feather`` fraction on each side."""
    ramp = max(1, int(round(side * feather)))
    pos = np.arange(side, dtype=np.float32)
    edge = np.minimum(pos + 0.5, side - pos - 0.5) / ramp
    line = np.clip(edge, 0.0, 1.0)
    return np.minimum(line[:, None], line[None, :])


class FaceEnhancer:
    """Restore every face of a photo with a SPARNet / SPARNetHD generator.

    Args:
        config, weights: as for :class:`SRPredictor` (the face model);
            ``overrides``: ``-o key=value`` strings.
        detector: a :class:`FaceDetector` (default: the best available).
        margin: crop enlargement around the detected box, per side.
        feather: width of the blending ramp, as a fraction of the crop.
        precision: as for :class:`SRPredictor` (``'auto'``, ``'fp32'``,
            ``'bf16'``).
    """

    def __init__(self, config, weights, detector=None, margin=0.25,
                 feather=0.1, overrides=None, precision='auto'):
        self.predictor = SRPredictor(config, weights, overrides=overrides,
                                     precision=precision)
        if not self.predictor.in_size or self.predictor.scale != 1:
            raise ConfigError(
                f'{self.predictor.model_name} (x{self.predictor.scale}) is not '
                'a face model: face enhancement restores faces with a model '
                'whose output has its input size (SPARNet, SPARNetHD '
                'configs); for whole images use tools/inference.py')
        self.size = int(self.predictor.in_size)
        self.detector = detector or FaceDetector()
        self.margin, self.feather = margin, feather

    def restore_aligned(self, face):
        """Restore a photo that is one aligned face crop (no detection):
        resized to the model's size, restored, resized back."""
        h, w = face.shape[:2]
        if (h, w) != (self.size, self.size):
            face = bicubic_resize(face, (self.size, self.size))
        out = self.predictor.predict(face)
        return out if (h, w) == (self.size, self.size) else \
            bicubic_resize(out, (w, h))

    def enhance(self, img):
        """uint8 HWC RGB photo -> (enhanced copy, list of FaceBox)."""
        out = img.astype(np.float32)
        boxes = self.detector.detect(img)
        h, w = img.shape[:2]
        for box in boxes:
            crop, (top, left, side) = crop_face(img, box, self.margin,
                                                self.size)
            restored = bicubic_resize(self.predictor.predict(crop),
                                      (side, side)).astype(np.float32)
            mask = feather_mask(side, self.feather)[..., None]
            y0, x0 = max(top, 0), max(left, 0)
            y1, x1 = min(top + side, h), min(left + side, w)
            sy, sx = y0 - top, x0 - left
            m = mask[sy:sy + y1 - y0, sx:sx + x1 - x0]
            patch = restored[sy:sy + y1 - y0, sx:sx + x1 - x0]
            out[y0:y1, x0:x1] = m * patch + (1 - m) * out[y0:y1, x0:x1]
        return np.clip(np.round(out), 0, 255).astype(np.uint8), boxes
