"""Shims that let ppgan 2.1.0 import and run under Paddle 3.x.

Every shim lives here, is applied once by ``import ppgan_ext`` *before* ppgan
is imported, and has a test in ``tests/test_compat.py``. Keep each one the
smallest thing that works and say why it is needed.

Shims:

* ``paddle.fluid.layers.nn.soft_relu`` -- ``ppgan/models/starganv2_model.py``
  does ``from paddle.fluid.layers.nn import soft_relu`` at import time, and
  ``ppgan.models`` imports every model, so without it no ppgan model (ESRGAN
  included) can be built. Paddle 3 removed ``paddle.fluid``. We register a
  tiny stand-in module tree that provides only that function, computed as
  Paddle 2's did: ``log(1 + exp(clip(x, -threshold, threshold)))``.
"""
import sys
import types

import paddle

_APPLIED = False


def soft_relu(x, threshold=40.0, name=None):
    """Paddle 2's ``fluid.layers.soft_relu``: ``log(1 + exp(clip(x, -t, t)))``."""
    return paddle.log1p(paddle.exp(paddle.clip(x, -threshold, threshold)))


def _install_fluid_soft_relu():
    if 'paddle.fluid' in sys.modules or hasattr(paddle, 'fluid'):
        # A real (or someone else's) paddle.fluid exists: leave it alone.
        fluid = sys.modules.get('paddle.fluid', getattr(paddle, 'fluid', None))
        nn_mod = getattr(getattr(fluid, 'layers', None), 'nn', None)
        if nn_mod is not None and hasattr(nn_mod, 'soft_relu'):
            return
    names = ('paddle.fluid', 'paddle.fluid.layers', 'paddle.fluid.layers.nn')
    mods = {}
    for name in names:
        mod = sys.modules.get(name) or types.ModuleType(name)
        mod.__doc__ = 'ppgan_ext.compat stand-in: only what ppgan 2.1.0 imports.'
        sys.modules[name] = mod
        mods[name] = mod
    mods['paddle.fluid'].layers = mods['paddle.fluid.layers']
    mods['paddle.fluid.layers'].nn = mods['paddle.fluid.layers.nn']
    mods['paddle.fluid.layers.nn'].soft_relu = soft_relu
    if not hasattr(paddle, 'fluid'):
        paddle.fluid = mods['paddle.fluid']


def apply():
    """Apply every shim (idempotent). Must run before ``import ppgan``."""
    global _APPLIED
    if _APPLIED:
        return
    _install_fluid_soft_relu()
    _APPLIED = True
