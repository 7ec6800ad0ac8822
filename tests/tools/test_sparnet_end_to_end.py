"""SPARNet through ppgan_ext.cli.main with a tiny config on real faces:
train -> validate (FacePSNR/FaceSSIM + ppgan PSNR/SSIM) -> images and
attention maps on disk and in VisualDL -> --resume -> --evaluate-only on HR
and on LR folders; tools/convert_weights.py on the tiny_sparnet reference
checkpoint, loaded by --evaluate-only."""
import glob
import importlib.util
import os

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
import ppgan_ext.convert.mappings.sparnet  # noqa: F401
import ppgan_ext.datasets.face_sr_dataset  # noqa: F401
import ppgan_ext.models.sparnet_model  # noqa: F401
from ppgan_ext.io.torch_reader import load_torch_state_dict
from ppgan_ext.io.checkpoint import load_checkpoint
from ppgan_ext.cli import main
from tests.parity_utils import load_case
from tests.real_faces import write_lfw_faces as write_faces
from tests.tiny_sparnet import ROOT, tiny_sparnet_config

# the generator of the tiny_sparnet parity case (reference kwargs + c_mid 8)
TINY_G = dict(name='SPARNet', min_ch=8, max_ch=16, in_size=32, out_size=32,
              min_feat_size=8, res_depth=0, relu_type='leakyrelu',
              norm_type='bn', att_name='spar', bottleneck_size=8,
              hourglass_width=8)


def _edit(cfg):
    cfg['model']['generator'] = dict(TINY_G)
    cfg['model']['attention_visuals'] = [0, -1]
    # 32 px faces are too small for dlib's face metrics (tested elsewhere)
    for name in ('face_identity', 'face_landmark_nme'):
        del cfg['validate']['metrics'][name]
    cfg['snapshot_config']['keep_checkpoints'] = -1


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('sparnet')
    config = tiny_sparnet_config(tmp, size=32, n_train=6, n_test=2, iters=4,
                                 edit=_edit)
    write_faces(str(tmp / 'test_LR'), range(90, 92), 8)
    return tmp, config


def run(config, *args):
    # fresh parameter names per run, as in a new process: optimizer states
    # in checkpoints are keyed by them
    with paddle.utils.unique_name.guard():
        return main(['-c', config, '--device', 'cpu', *args])


@pytest.fixture(scope='module')
def trained(setup):
    tmp, config = setup
    trainer = run(config, '--seed', '3')
    outdir = trainer.output_dir
    return tmp, config, trainer, outdir


def test_train_validates_saves_and_writes_images(trained):
    _, _, trainer, out = trained
    assert set(trainer.last_metrics) == {'face_psnr', 'face_ssim', 'psnr',
                                         'ssim'}
    assert all(np.isfinite(v) for v in trainer.last_metrics.values())
    assert 5 < trainer.last_metrics['face_psnr'] < 60
    for name in ('iter_2_checkpoint', 'iter_4_checkpoint', 'iter_4_weight'):
        assert os.path.isfile(os.path.join(out, name + '.pdparams')), name
    saved = {os.path.basename(p) for p in
             glob.glob(os.path.join(out, 'visual_test', '*.png'))}
    for kind in ('lq', 'gt', 'output', 'attention_0', 'attention_4',
                 'comparison'):
        assert f'iter004_lfw_090_{kind}.png' in saved, kind
    from visualdl import LogReader
    reader = LogReader(file_path=glob.glob(os.path.join(out,
                                                        'vdlrecords*'))[0])
    tags = reader.get_tags()
    assert {'loss_pixel', 'metrics/face_psnr', 'metrics/face_ssim'} <= set(
        tags['scalar'])
    assert {'visual_train/attention_0', 'visual_train/attention_4',
            'visual_train/output', 'visual_train/comparison',
            'val/comparison', 'val/lq', 'val/output'} <= set(
                tags['image'])


def test_resume_continues(trained):
    _, config, _, out = trained
    trainer = run(config, '--resume',
                  os.path.join(out, 'iter_2_checkpoint.pdparams'), '-o',
                  f'output_dir={out}/resumed')
    assert trainer.current_iter == 4
    assert os.path.isfile(os.path.join(trainer.output_dir,
                                       'iter_4_checkpoint.pdparams'))
    from visualdl import LogReader
    reader = LogReader(file_path=glob.glob(os.path.join(
        trainer.output_dir, 'vdlrecords*'))[0])
    assert [r.id for r in reader.get_data('scalar', 'loss_pixel')] == [3, 4]


def test_evaluate_only_hr_and_lr_folders(trained):
    tmp, config, trainer, out = trained
    weights = os.path.join(out, 'iter_4_weight.pdparams')
    ev = run(config, '--evaluate-only', '--load', weights, '-o',
             f'output_dir={out}/eval')
    for k, v in trainer.last_metrics.items():
        assert ev.last_metrics[k] == pytest.approx(v, abs=1e-6), k
    lr = run(config, '--evaluate-only', '--load', weights, '-o',
             f'output_dir={out}/eval_lr', f'dataset.test.folder={tmp}/test_LR',
             'dataset.test.lr_only=true', 'validate=null')
    assert lr.last_metrics == {}
    saved = sorted(os.path.basename(p) for p in glob.glob(
        os.path.join(lr.output_dir, 'visual_test', '*.png')))
    assert 'lfw_090_output.png' in saved and 'lfw_091_output.png' in saved
    assert not any(s.endswith('_gt.png') for s in saved)


def test_convert_released_layout_and_evaluate(setup, tmp_path):
    _, config = setup
    spec = importlib.util.spec_from_file_location(
        'convert_weights_tool', os.path.join(ROOT, 'tools',
                                             'convert_weights.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    src = os.path.join(ROOT, 'tests', 'fixtures', 'parity', 'tiny_sparnet.pth')
    dst = str(tmp_path / 'tiny_sparnet.pdparams')
    tool.main(['-c', config, '--src', src, '--dst', dst])
    state = load_checkpoint(dst)['generator']
    ref = load_torch_state_dict(src)
    # BatchNorm running statistics are carried over under Paddle's names
    key = 'encoder.1.conv1.norm.norm.running_var'
    np.testing.assert_array_equal(state['encoder.0.conv1.norm._variance'],
                                  ref[key])
    np.testing.assert_array_equal(
        state['body.0.pre_norm._mean'],
        ref['res_layers.0.preact_func.0.norm.running_mean'])
    ev = run(config, '--evaluate-only', '--load', dst, '-o',
             f'output_dir={tmp_path}/eval')
    assert np.isfinite(ev.last_metrics['face_psnr'])
    # the loaded generator reproduces the reference output
    case, _, x, y = load_case('tiny_sparnet')
    net = ev.model.nets['generator']
    net.eval()
    with paddle.no_grad():
        out = net(paddle.to_tensor(x)).numpy()
    assert np.abs(out - y).max() <= case['suggested_atol']
