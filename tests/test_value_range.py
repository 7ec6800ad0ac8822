"""One source for the pixel range: each model class declares it, configs may
repeat it but not contradict it, and every conversion matches ppgan's."""
import numpy as np
import paddle
import pytest
from ppgan.utils.visual import tensor2img

import ppgan_ext  # noqa: F401
from ppgan_ext.config import ConfigError, load_config
from ppgan_ext.config_check import validate_config
from ppgan_ext.io.visuals import batch_to_uint8, to_model_range, to_uint8
from ppgan_ext.value_range import resolve_value_range, value_range_of


@pytest.mark.parametrize('model, expected', [
    ('ExtSRModel', (0., 1.)), ('SPARNetModel', (-1., 1.)),
    ('SPARNetHDModel', (-1., 1.)), ('PGANModel', (-1., 1.)),
    ('ESRGAN', (0., 1.)), ('BaseSRModel', (0., 1.)),  # ppgan's SR models
    ('CycleGANModel', None),  # ppgan, no declared range: its min_max rules
])
def test_models_declare_their_range(model, expected):
    assert value_range_of({'name': model}) == expected


def test_a_config_may_repeat_the_range_but_not_contradict_it():
    cfg = load_config('configs/sparnet_demo.yaml')
    cfg['min_max'] = (-1., 1.)  # as PaddleGAN's configs state it
    assert resolve_value_range(cfg) == (-1., 1.)
    cfg['min_max'] = (0., 1.)
    with pytest.raises(ConfigError, match=r'min_max = \[0, 1\] contradicts '
                       r'model SPARNetModel, which works on images in '
                       r'\[-1, 1\]'):
        resolve_value_range(cfg)
    with pytest.raises(ConfigError, match='min_max'):
        validate_config(cfg)
    # ppgan's other models keep ppgan's contract: min_max, default (-1, 1)
    assert resolve_value_range({'model': {'name': 'CycleGANModel'},
                                'min_max': (0., 1.)}) == (0., 1.)
    assert resolve_value_range({'model': {'name': 'CycleGANModel'}}) == \
        (-1., 1.)


def test_a_dataset_normalising_to_another_range_is_refused():
    cfg = load_config('configs/rdn_x2_demo.yaml', [
        'dataset.test.preprocess.2.pipeline.1.mean=[127.5, 127.5, 127.5]',
        'dataset.test.preprocess.2.pipeline.1.std=[127.5, 127.5, 127.5]'])
    with pytest.raises(ConfigError, match=r'dataset.test: serves images in '
                       r'\[-1, 1\] but model ExtSRModel works on \[0, 1\]'):
        validate_config(cfg)
    validate_config(load_config('configs/rdn_x2_demo.yaml'))


@pytest.mark.parametrize('value_range', [(0., 1.), (-1., 1.)])
def test_conversions_match_ppgan_to_the_bit(value_range):
    rng = np.random.RandomState(0)
    lo, hi = value_range
    chw = rng.uniform(lo - 0.2, hi + 0.2, (3, 17, 11)).astype(np.float32)
    np.testing.assert_array_equal(
        to_uint8(chw, value_range),
        tensor2img(paddle.to_tensor(chw), value_range))
    img = rng.randint(0, 256, (9, 7, 3)).astype(np.uint8)
    back = to_model_range(img, value_range)
    assert back.dtype == np.float32 and back.shape == (3, 9, 7)
    assert back.min() >= lo and back.max() <= hi
    np.testing.assert_array_equal(to_uint8(back, value_range), img)
    batch = np.stack([back, back])
    assert all(np.array_equal(a, img) for a in
               batch_to_uint8(paddle.to_tensor(batch), value_range))
