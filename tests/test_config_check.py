"""Every config validates; misspelled keys and wrong types fail before any
work, naming the key, its value and what was expected."""
import glob

import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.config import ConfigError, load_config
from ppgan_ext.config_check import validate_config

CONFIGS = sorted(glob.glob('configs/*.yaml'))


@pytest.mark.parametrize('path', CONFIGS)
def test_every_shipped_config_validates(path):
    validate_config(load_config(path), path)


@pytest.mark.parametrize('override, message', [
    ('model.generator.num_blokcs=4',
     r"model.generator.num_blokcs = 4: RDN has no argument 'num_blokcs'"),
    ('model.generator.num_blocks=four',
     r"model.generator.num_blocks = 'four': expected int"),
    ('model.generator.upsampler=2', r"upsampler = 2: expected str"),
    ('dataset.train.scale=x4', r"dataset.train.scale = 'x4'"),
    ('validate.metrics.psnr.crop_border=true', r'crop_border = True'),
    ('total_iters=many', r"total_iters = 'many': expected int"),
    ('model.generator.scale=2',
     r'the scales disagree: model.generator.scale = 2, dataset.train.scale '
     r'= 4, dataset.train.preprocess.2.pipeline.0.scale = 4'),
    ('model.pixel_criterion.name=L2Loss',
     r"'L2Loss' is not a registered CRITERION"),
])
def test_bad_values_are_named(override, message):
    cfg = load_config('configs/rdn_x4.yaml', [override])
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg, 'configs/rdn_x4.yaml')


def test_unknown_top_level_and_section_keys(tmp_path):
    cfg = load_config('configs/rdn_x4.yaml')
    cfg['totl_iters'] = 5
    cfg['log_config']['intervl'] = 3
    with pytest.raises(ConfigError, match=r'(?s)2 problem.*totl_iters: '
                       r'unknown top-level key.*log_config.intervl'):
        validate_config(cfg)


def test_cli_refuses_a_bad_config_before_training(tmp_path, capsys):
    from ppgan_ext.cli import run
    with pytest.raises(SystemExit) as e:
        run(['-c', 'configs/rdn_x4.yaml', '-o',
             'model.generator.growth_rate=big', f'output_dir={tmp_path}'])
    assert e.value.code == 2
    assert "growth_rate = 'big': expected int" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # no run folder was created
