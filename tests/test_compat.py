"""ppgan 2.1.0 imports and builds under Paddle 3 through ppgan_ext.compat."""
import sys

import numpy as np
import paddle

import ppgan_ext  # noqa: F401
from ppgan_ext import compat


def test_soft_relu_matches_its_formula():
    x = np.array([-100., -40., -3., -0.5, 0., 0.5, 3., 39., 40., 100.],
                 dtype=np.float32)
    for threshold in (40.0, 5.0):
        got = compat.soft_relu(paddle.to_tensor(x), threshold=threshold)
        want = np.log1p(np.exp(np.clip(x.astype(np.float64), -threshold,
                                       threshold)))
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


def test_fluid_symbol_is_where_ppgan_imports_it():
    from paddle.fluid.layers.nn import soft_relu
    assert soft_relu is compat.soft_relu
    assert 'paddle.fluid.layers.nn' in sys.modules


def test_apply_is_idempotent():
    before = sys.modules['paddle.fluid.layers.nn']
    compat.apply()
    assert sys.modules['paddle.fluid.layers.nn'] is before


def test_ppgan_registries_load_and_build():
    from ppgan.models.builder import MODELS, build_model
    from ppgan.models.generators.builder import GENERATORS
    # starganv2_model is the module that needs the shim
    assert MODELS.get('StarGANv2Model').__module__.endswith('starganv2_model')
    assert GENERATORS.get('RRDBNet') is not None
    model = build_model({'name': 'BaseSRModel',
                         'generator': {'name': 'RRDBNet', 'in_nc': 3,
                                       'out_nc': 3, 'nf': 4, 'nb': 1},
                         'pixel_criterion': {'name': 'L1Loss'}})
    out = model.nets['generator'](paddle.rand([1, 3, 8, 8]))
    assert out.shape == [1, 3, 32, 32]
