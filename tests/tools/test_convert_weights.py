"""tools/convert_weights.py on the tiny RDN parity cases (both layouts).

The converted ``.pdparams`` must reproduce the reference output when loaded
into the generator the config builds, a mismatching checkpoint must fail with
a clear message and leave no output file, and ``--evaluate-only --load``
must accept the converted file.
"""
import importlib.util
import math
import os
import re

import paddle
import pytest

from tests.parity_utils import assert_parity, case_path, load_case

import ppgan_ext  # noqa: F401
import ppgan_ext.convert.mappings.rdn  # noqa: F401  (registers the mapping)
from ppgan.models.generators.builder import build_generator
from ppgan_ext.config import load_config
from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext import cli
from ppgan_ext.io.checkpoint import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'rdn_x2_demo.yaml')

# generator overrides reproducing each parity case's reference constructor
GENERATORS = {
    # official layout: scale=2, G0=8, D=2, C=2, G=8, n_colors=3, kSize=3
    'tiny_rdn_official_x2': dict(num_features=8, num_blocks=2, num_layers=2,
                                 growth_rate=8, scale=2, kernel_size=3,
                                 upsampler='official'),
    # seed layout: channel=3, rdb_number=3, upscale_factor=2, width 16
    'tiny_rdn': dict(num_features=16, num_blocks=3, num_layers=3,
                     growth_rate=16, scale=2, kernel_size=3,
                     upsampler='seed'),
}


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'convert_weights_tool', os.path.join(ROOT, 'tools',
                                             'convert_weights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


convert_main = _load_tool().main


def generator_overrides(case_name):
    return [f'model.generator.{k}={v}'
            for k, v in GENERATORS[case_name].items()]


def convert(case_name, dst, overrides=None):
    convert_main(['-c', CONFIG, '--src', case_path(case_name, '.pth'),
                  '--dst', str(dst), '-o'] +
                 (overrides or generator_overrides(case_name)))


@pytest.mark.parametrize('case_name', sorted(GENERATORS))
def test_converted_file_reproduces_reference(case_name, tmp_path):
    dst = tmp_path / f'{case_name}.pdparams'
    convert(case_name, dst)
    state = load_checkpoint(str(dst))
    assert sorted(state) == ['generator']  # ExtSRModel keeps no EMA copy
    cfg = load_config(CONFIG, generator_overrides(case_name))
    net = build_generator(dict(cfg.model.generator))
    net.set_state_dict({k: paddle.to_tensor(v)
                        for k, v in state['generator'].items()})
    net.eval()
    case, _, x, y = load_case(case_name)
    with paddle.no_grad():
        out = net(paddle.to_tensor(x))
    err = assert_parity(out, case, y)
    print(f'{case_name}: max abs error {err:.3e} '
          f"(suggested_atol {case['suggested_atol']:.3e})")


@pytest.mark.parametrize('case_name,overrides,message', [
    # seed-layout checkpoint into the official-layout network
    ('tiny_rdn', [f'model.generator.{k}={v}' for k, v in
                  dict(GENERATORS['tiny_rdn'],
                       upsampler='official').items()],
     r"'seed' layout.*upsampler='official'"),
    # right layout, wrong width: every conv is mis-shaped
    ('tiny_rdn_official_x2', generator_overrides('tiny_rdn_official_x2') +
     ['model.generator.num_features=16'], r'mis-shaped.*sfe1\.weight'),
    # right layout, one block too many in the config
    ('tiny_rdn_official_x2', generator_overrides('tiny_rdn_official_x2') +
     ['model.generator.num_blocks=3'], r'missing.*blocks\.2\.'),
])
def test_mismatch_fails_clearly_without_output(case_name, overrides, message,
                                               tmp_path, capsys):
    dst = tmp_path / 'out.pdparams'
    with pytest.raises(SystemExit) as exit_info:
        convert(case_name, dst, overrides)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ')
    assert re.search(message, err), err
    assert not dst.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left either


def test_evaluate_only_accepts_converted_file(tmp_path):
    data = build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *a: None)
    dst = tmp_path / 'official_x2.pdparams'
    convert('tiny_rdn_official_x2', dst)
    with paddle.utils.unique_name.guard():
        trainer = cli.main([
            '-c', CONFIG, '--evaluate-only', '--load', str(dst), '-o',
            f'output_dir={tmp_path / "eval"}', 'enable_visualdl=false',
            f'dataset.test.gt_folder={data}/test',
            f'dataset.test.lq_folder={data}/test_X2'] +
            generator_overrides('tiny_rdn_official_x2'))
    assert set(trainer.last_metrics) == {'psnr', 'ssim'}
    assert all(math.isfinite(v) for v in trainer.last_metrics.values())


def test_rgb_range_255_runs_the_authors_weights_on_unit_range(tmp_path):
    """The authors' RDN works on 0..255 pixels; built with rgb_range=255
    (the paper configs' setting) it takes and returns 0..1 images:
    net(x / 255) * 255 equals the reference output for input x."""
    dst = tmp_path / 'official_x2.pdparams'
    convert('tiny_rdn_official_x2', dst)
    state = load_checkpoint(str(dst))['generator']
    cfg = load_config(CONFIG, generator_overrides('tiny_rdn_official_x2') +
                      ['model.generator.rgb_range=255'])
    net = build_generator(dict(cfg.model.generator))
    net.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})
    net.eval()
    case, _, x, y = load_case('tiny_rdn_official_x2')
    with paddle.no_grad():
        out = net(paddle.to_tensor(x / 255.0)).numpy()
    err = float(abs(out * 255.0 - y).max())
    assert err <= case['suggested_atol'], err
