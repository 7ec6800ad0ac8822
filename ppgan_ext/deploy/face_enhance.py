"""Enhance the faces of whole photos, as Face-SPARNet's
``test_enhance_single_unalign.py`` (and Real-ESRGAN's ``--face_enhance``):

1. faces are found with 5 landmarks
   (:class:`~ppgan_ext.faceutils.FaceDetector`);
2. each is aligned by a similarity transform to the face model's template
   at the model's size (SPARNetHD 512: ``ffhq``; SPARNet 128: ``celeba``;
   see :mod:`ppgan_ext.faceutils.align`) and restored;
3. the whole photo is upscaled ``upscale`` times (:class:`Background`:
   bicubic, or any SR model here, tiled);
4. each restored face is warped back by the inverse transform into the
   upscaled photo and blended through a feathered mask. Pixels no mask
   reaches are exactly the background's.
"""
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..config import ConfigError
from ..faceutils import FaceDetector, align_face, default_template, paste_faces
from ..io.images import bicubic_resize
from ..progress import progress
from .predictor import SRPredictor

__all__ = ['Background', 'FaceEnhancer', 'EnhanceResult']


class Background:
    """Upscale a whole photo ``scale`` times: bicubic (Pillow), or with an
    SR model (``config`` + ``weights``, run by :class:`SRPredictor` in
    ``tile`` x ``tile`` tiles; ``config`` None: the weights' run folder's).
    A model of another scale is run, then its output resized to ``scale``
    (area when shrinking, else bicubic)."""

    def __init__(self, scale=1, config=None, weights=None, tile=None,
                 precision='auto'):
        if int(scale) != scale or scale < 1:
            raise ConfigError(f'--upscale {scale}: must be an integer >= 1')
        self.scale = int(scale)
        self.predictor = None
        if config or weights:
            self.predictor = SRPredictor(config, weights, tile=tile,
                                         precision=precision)
            if self.predictor.in_size:
                raise ConfigError(
                    f'{self.predictor.model_name} is a face model; the '
                    'background needs a whole-image SR model (RDN, ESRGAN)')

    @property
    def name(self):
        if self.predictor is None:
            return 'bicubic' if self.scale > 1 else 'the photo itself'
        return f'{self.predictor.model_name} x{self.predictor.scale}'

    def __call__(self, img):
        h, w = img.shape[:2]
        size = (w * self.scale, h * self.scale)
        if self.predictor is None:
            return img.copy() if self.scale == 1 else bicubic_resize(img,
                                                                     size)
        out = self.predictor.predict(img)
        if out.shape[:2] != (size[1], size[0]):
            shrink = out.shape[0] > size[1]
            out = cv2.resize(out, size, interpolation=cv2.INTER_AREA
                             if shrink else cv2.INTER_CUBIC)
        return out


@dataclass
class EnhanceResult:
    """What :meth:`FaceEnhancer.enhance` made of one photo."""
    image: np.ndarray                 # the enhanced, upscaled photo
    faces: list                       # FaceBox per face (photo pixels)
    crops: list = field(default_factory=list)     # aligned model inputs
    restored: list = field(default_factory=list)  # the model's outputs
    matrices: list = field(default_factory=list)  # photo px -> crop px
    background: np.ndarray = None     # with keep_layers: before pasting
    alpha: np.ndarray = None          # with keep_layers: face weights


class FaceEnhancer:
    """Restore every face of a photo with a SPARNet / SPARNetHD generator.

    Args:
        config, weights: the face model, as for :class:`SRPredictor`;
            ``overrides``: ``-o key=value`` strings.
        detector: a :class:`FaceDetector` (default: dlib HOG if installed).
        template: alignment template (default: ``ffhq`` for models of
            256 px and more, else ``celeba``).
        feather: blending ramp width, fraction of the aligned crop's side.
        background: a :class:`Background` (default: the photo, unscaled).
        precision: as for :class:`SRPredictor` (``'auto'``, ``'fp32'``,
            ``'bf16'``).
    """

    def __init__(self, config, weights, detector=None, template=None,
                 feather=0.1, background=None, overrides=None,
                 precision='auto'):
        self.predictor = SRPredictor(config, weights, overrides=overrides,
                                     precision=precision)
        if not self.predictor.in_size or self.predictor.scale != 1:
            raise ConfigError(
                f'{self.predictor.model_name} (x{self.predictor.scale}) is '
                'not a face model: face enhancement restores faces with a '
                'model whose output has its input size (SPARNet, SPARNetHD '
                'configs); for whole images use tools/inference.py')
        self.size = int(self.predictor.in_size)
        self.detector = detector or FaceDetector()
        self.template = template or default_template(self.size)
        self.feather = feather
        self.background = background or Background(1)

    def restore(self, img, face):
        """``(aligned crop, restored crop, matrix)`` of one detected face."""
        crop, matrix = align_face(img, face.points, self.size, self.template)
        return crop, self.predictor.predict(crop), matrix

    def restore_aligned(self, face):
        """Restore a photo that is one aligned face crop (no detection):
        resized to the model's size, restored, resized back."""
        h, w = face.shape[:2]
        if (h, w) != (self.size, self.size):
            face = bicubic_resize(face, (self.size, self.size))
        out = self.predictor.predict(face)
        return out if (h, w) == (self.size, self.size) else \
            bicubic_resize(out, (w, h))

    def enhance(self, img, keep_layers=False):
        """uint8 HWC RGB photo -> :class:`EnhanceResult`."""
        faces = self.detector.detect(img)
        result = EnhanceResult(None, faces)
        for face in progress(faces, 'faces', unit='face', nested=True):
            crop, restored, matrix = self.restore(img, face)
            result.crops.append(crop)
            result.restored.append(restored)
            result.matrices.append(matrix)
        background = self.background(img)
        pasted = paste_faces(background,
                             list(zip(result.restored, result.matrices)),
                             self.background.scale, self.feather,
                             return_alpha=keep_layers)
        if keep_layers:
            result.image, result.alpha = pasted
            result.background = background
        else:
            result.image = pasted
        return result
