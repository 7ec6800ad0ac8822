"""dlib and the models that ship in the ``face_recognition_models`` package.

Nothing is imported or loaded until first used (``import ppgan_ext`` stays
fast and works without dlib). The model files are found next to
``face_recognition_models``' own ``__init__.py`` without importing it (its
``__init__`` needs ``pkg_resources``, which recent setuptools no longer
ships). Loaded models are kept for the process.

* ``shape_predictor_5_face_landmarks.dat`` -- 5 landmarks (eye corners and
  the base of the nose), the reference's alignment points;
* ``shape_predictor_68_face_landmarks.dat`` -- the iBUG 68 landmarks;
* ``mmod_human_face_detector.dat`` -- the CNN (MMOD) face detector;
* ``dlib_face_recognition_resnet_model_v1.dat`` -- 128-D face descriptors.
"""
import functools
import importlib.util
import os

from ..errors import UserError

__all__ = ['DlibUnavailableError', 'INSTALL_HINT', 'dlib_available',
           'import_dlib', 'model_path', 'load_model']

INSTALL_HINT = 'pip install dlib-bin face_recognition_models'

MODEL_FILES = {
    'landmarks5': 'shape_predictor_5_face_landmarks.dat',
    'landmarks68': 'shape_predictor_68_face_landmarks.dat',
    'mmod': 'mmod_human_face_detector.dat',
    'descriptor': 'dlib_face_recognition_resnet_model_v1.dat',
}


class DlibUnavailableError(UserError, RuntimeError):
    """dlib or its model files (``face_recognition_models``) are missing."""


def import_dlib():
    """The ``dlib`` module, or :class:`DlibUnavailableError`."""
    try:
        import dlib
    except ImportError as e:
        raise DlibUnavailableError(
            f'dlib is not installed ({e}); install it with: {INSTALL_HINT}'
        ) from None
    return dlib


def model_path(kind):
    """Path of one of :data:`MODEL_FILES` inside face_recognition_models."""
    spec = importlib.util.find_spec('face_recognition_models')
    if spec is None or not spec.submodule_search_locations:
        raise DlibUnavailableError(
            'face_recognition_models (dlib\'s model files) is not installed; '
            f'install it with: {INSTALL_HINT}')
    folder = os.path.join(list(spec.submodule_search_locations)[0], 'models')
    path = os.path.join(folder, MODEL_FILES[kind])
    if not os.path.isfile(path):
        raise DlibUnavailableError(f'{path}: dlib model file missing; '
                                   f'reinstall with: {INSTALL_HINT}')
    return path


def dlib_available():
    """True when dlib imports and the model package is present."""
    try:
        import_dlib()
        model_path('landmarks5')
    except DlibUnavailableError:
        return False
    return True


def load_model(kind):
    """The loaded dlib object of ``kind`` ('hog' or a :data:`MODEL_FILES`
    key), kept for the process; :class:`DlibUnavailableError` if dlib or
    the file is missing (checked on every call)."""
    dlib = import_dlib()
    return _load(dlib, kind, None if kind == 'hog' else model_path(kind))


@functools.lru_cache(maxsize=None)
def _load(dlib, kind, path):
    if kind == 'hog':
        return dlib.get_frontal_face_detector()
    if kind == 'mmod':
        return dlib.cnn_face_detection_model_v1(path)
    if kind == 'descriptor':
        return dlib.face_recognition_model_v1(path)
    return dlib.shape_predictor(path)
