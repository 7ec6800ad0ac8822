"""ppgan_ext: SPARNet, SPARNetHD, RDN and PGAN for PaddleGAN.

``import ppgan_ext`` applies the Paddle-3 compat shims, imports ppgan, then
imports the plugin's generators, discriminators, criterions, models, datasets,
transforms, metrics and learning-rate schedules, each of which registers
itself into ppgan's own registries (a name ppgan already has is refused,
never shadowed).
"""
from . import compat

compat.apply()

import ppgan.models  # noqa: E402,F401  (fills ppgan's registries first)
import ppgan.datasets  # noqa: E402,F401
import ppgan.metrics  # noqa: E402,F401

from . import models, datasets, metrics, lr_schedulers  # noqa: E402,F401

__version__ = '0.1.0'


def predict(config, weights, inputs, out_dir, **kwargs):
    """Super-resolve files/folders/globs (``config`` None: the weights' run
    folder's ``config.yaml``): see ``ppgan_ext.deploy.predictor.predict``."""
    from .deploy.predictor import predict as _predict
    return _predict(config, weights, inputs, out_dir, **kwargs)
