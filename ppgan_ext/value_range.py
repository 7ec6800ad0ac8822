"""The pixel range a model works in, declared once by the model class.

Every training model of the plugin declares the range of the images its
networks take and give as a class attribute, ``value_range = (low, high)``
(SPARNet, SPARNetHD and PGAN ``(-1, 1)``, RDN ``(0, 1)``). Everything that
turns images into tensors or back reads it from there: the Trainer's images
and VisualDL, the models' metrics, ``SRPredictor``/``FaceEnhancer``, the
PGAN sampler and the export check. ppgan's own SR models (``BaseSRModel``
and its subclasses such as ESRGAN) work in ``(0, 1)``; for ppgan's other
models the config's top-level ``min_max`` stays what ppgan makes of it.

A config that still states a range (top-level ``min_max``, a dataset's
``Normalize``) must agree with the model's (checked by ``config_check``).
"""
import numpy as np

__all__ = ['value_range_of', 'resolve_value_range', 'dataset_value_range',
           'describe']

_PPGAN_SR_RANGE = (0.0, 1.0)  # BaseSRModel.test_iter: tensor2img(x, (0, 1))


def _pair(value):
    lo, hi = (float(v) for v in value)
    return lo, hi


def describe(value_range):
    lo, hi = value_range
    return f'[{lo:g}, {hi:g}]'


def _model_class(name):
    from ppgan.models.builder import MODELS
    return MODELS._obj_map.get(name)


def value_range_of(model_cfg):
    """``(low, high)`` of the images model ``model_cfg['name']`` works on,
    or None for a ppgan model that declares none (not an SR model)."""
    cls = _model_class((model_cfg or {}).get('name'))
    if cls is None:
        return None
    declared = getattr(cls, 'value_range', None)
    if declared is not None:
        return _pair(declared)
    from ppgan.models.sr_model import BaseSRModel
    if issubclass(cls, BaseSRModel):
        return _PPGAN_SR_RANGE
    return None


def resolve_value_range(cfg):
    """The range of ``cfg``'s model; a top-level ``min_max`` may repeat it
    (PaddleGAN's configs do) but not contradict it (:class:`ConfigError`).
    For a ppgan model that declares none, ``min_max`` (ppgan's default
    ``(-1, 1)``) is the range, as in ppgan."""
    from .config import ConfigError
    declared = value_range_of(cfg.get('model'))
    stated = cfg.get('min_max')
    if stated is not None:
        try:
            stated = _pair(stated)
        except (TypeError, ValueError):
            raise ConfigError(f'min_max = {stated!r}: expected (low, high)')
    if declared is None:
        return stated or (-1.0, 1.0)
    if stated is not None and not np.allclose(stated, declared):
        name = cfg['model']['name']
        raise ConfigError(
            f'min_max = {describe(stated)} contradicts model {name}, which '
            f'works on images in {describe(declared)}; remove min_max (the '
            'model declares its range)')
    return declared


def _normalize_range(node):
    """Range that a ``Normalize`` op (mean/std on 0..255 pixels) anywhere in
    a preprocess config maps images to, or None."""
    if isinstance(node, dict):
        if node.get('name') == 'Normalize':
            mean = np.asarray(node.get('mean', 0.0), np.float64)
            std = np.asarray(node.get('std', 1.0), np.float64)
            return (float(np.min((0.0 - mean) / std)),
                    float(np.max((255.0 - mean) / std)))
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            found = _normalize_range(item)
            if found:
                return found
    return None


def dataset_value_range(dataset_cfg):
    """``(low, high)`` of the images a dataset config serves, or None when
    it cannot be told from the config.

    A dataset class may declare ``value_range`` (the plugin's face and GAN
    datasets: ``(-1, 1)``); a preprocess pipeline's ``Normalize`` op gives
    it for ppgan-style pipelines (``SRDataset``, ``SRFolderDataset``).
    """
    from ppgan.datasets.builder import DATASETS
    cls = DATASETS._obj_map.get((dataset_cfg or {}).get('name'))
    declared = getattr(cls, 'value_range', None)
    if declared is not None:
        return _pair(declared)
    return _normalize_range(dataset_cfg.get('preprocess'))
