"""Config loading and -o overrides: typed values, clear errors."""
import pytest

from ppgan_ext.config import ConfigError, apply_overrides, load_config

CFG = 'configs/esrgan_psnr_x4_animesr.yaml'


def test_overrides_are_typed_and_reach_nested_keys_and_lists():
    cfg = load_config(CFG, ['total_iters=7', 'model.generator.nb=2',
                            'dataset.train.preprocess.0.key=gt',
                            'lr_scheduler.eta_min=1e-6',
                            'validate.metrics.psnr.test_y_channel=false',
                            'output_dir=out dir'])
    assert cfg.total_iters == 7 and cfg.model.generator.nb == 2
    assert cfg.dataset.train.preprocess[0]['key'] == 'gt'
    assert cfg.lr_scheduler.eta_min == 1e-6
    assert cfg.validate.metrics.psnr.test_y_channel is False
    assert cfg.output_dir == 'out dir'


def test_amp_section_may_be_created():
    cfg = load_config(CFG, ['amp.level=O2', 'amp.loss_scale=128'])
    assert cfg.amp == {'level': 'O2', 'loss_scale': 128}


@pytest.mark.parametrize('opt, message', [
    ('dataset.trian.batch_size=2', r"no key 'trian' at dataset"),
    ('totl_iters=3', r"no key 'totl_iters' at <top level>"),
    ('dataset.train.preprocess.9.key=x', r"'9' is not an index of the 3-item"),
    ('total_iters.x=1', r'total_iters is a int'),
    ('total_iters', r'expected key=value'),
])
def test_bad_overrides_name_the_key(opt, message):
    with pytest.raises(ConfigError, match=message):
        load_config(CFG, [opt])


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match='nope.yaml: config file not found'):
        load_config(str(tmp_path / 'nope.yaml'))
    bad = tmp_path / 'bad.yaml'
    bad.write_text('model: [unclosed\n')
    with pytest.raises(ConfigError, match='bad.yaml: not valid YAML'):
        load_config(str(bad))
    lst = tmp_path / 'list.yaml'
    lst.write_text('- 1\n- 2\n')
    with pytest.raises(ConfigError, match='top level must be a mapping'):
        load_config(str(lst))


def test_apply_overrides_on_plain_dict():
    cfg = {'a': {'b': [1, 2]}}
    apply_overrides(cfg, ['a.b.1=[3, 4]'])
    assert cfg['a']['b'][1] == [3, 4]


def test_a_model_name_stands_for_its_config(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not relative to the working directory
    cfg = load_config('rdn_x4')
    assert cfg.model.generator.scale == 4
    with pytest.raises(ConfigError, match=r"rdn_x9: config file not found, "
                       r"and not a model name \(names: .*rdn_x4, "):
        load_config('rdn_x9')
