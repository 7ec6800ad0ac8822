"""Exact resume after SIGKILL, for every model family and ESRGAN.

For each family a tiny config is trained twice from the same seed: once
straight to N iterations, and once killed with SIGKILL in the middle of
iteration k+1 (right after its first optimizer step, see resume_driver.py),
then resumed with ``--resume iter_k_checkpoint.pdparams`` to N. The two
final checkpoints must be bit-identical: every network (EMA included),
every optimizer moment, the learning-rate scheduler, the random generators
and (PGAN) scale/alpha/iteration. The data epochs are two batches long and
k = 3, so the runs cross epoch boundaries and the resumed run starts in the
middle of an epoch.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.checkpoint import load_checkpoint
from tests.real_faces import write_lfw_faces

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, 'tests', 'engine', 'resume_driver.py')
COMMON = {'enable_visualdl': False,
          'log_config': {'interval': 1, 'visiual_interval': 1000},
          'snapshot_config': {'interval': 3, 'keep_checkpoints': -1}}


def _with_common(cfg):
    for key, value in COMMON.items():
        cfg[key] = dict(cfg.get(key) or {}, **value) if isinstance(
            value, dict) else value
    return cfg


def _load(name):
    with open(os.path.join(ROOT, 'configs', name)) as f:
        return _with_common(yaml.safe_load(f))


@pytest.fixture(scope='module')
def sr_data(tmp_path_factory):
    """Five training pairs (x2 and x4) and one test pair of real photos."""
    src = build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)
    dst = tmp_path_factory.mktemp('sr')
    names = sorted(os.listdir(os.path.join(src, 'train')))
    for split, picked in (('train', names[:5]), ('test', names[5:6])):
        for suffix in ('', '_X2', '_X4'):
            os.makedirs(dst / (split + suffix))
            for name in picked:
                shutil.copy(os.path.join(src, 'train' + suffix, name),
                            dst / (split + suffix) / name)
    return dst


@pytest.fixture(scope='module')
def faces(tmp_path_factory):
    """Five real faces, 64x64 RGB."""
    return write_lfw_faces(tmp_path_factory.mktemp('faces'), range(5), 64)


def _sr_paths(cfg, data, scale):
    for split in ('train', 'test'):
        cfg['dataset'][split].update(gt_folder=str(data / split),
                                     lq_folder=str(data / f'{split}_X{scale}'))


def rdn(data, faces):
    cfg = _load('rdn_x2_demo.yaml')
    cfg['model']['generator'].update(num_features=8, num_blocks=2,
                                     num_layers=2, growth_rate=4)
    _sr_paths(cfg, data, 2)
    train = cfg['dataset']['train']
    train.update(batch_size=2, num_workers=2)  # worker processes too
    train['preprocess'][2]['pipeline'][0]['gt_patch_size'] = 24
    cfg['lr_scheduler']['milestones'] = [3, 6]
    cfg['validate']['interval'] = 2
    return cfg, 7, 3


def rdn_by_epoch(data, faces):
    """``epochs:`` instead of ``total_iters:`` (PaddleGAN issue #350: its
    resume of an epoch-based run restarted the counts)."""
    cfg, _, _ = rdn(data, faces)
    cfg['epochs'] = 4  # 2 iterations each
    cfg['snapshot_config'] = {'interval': 1, 'keep_checkpoints': -1}
    return cfg, 8, 4


def esrgan(data, faces):
    cfg = _load('esrgan_x4_animesr.yaml')
    cfg['model']['generator'].update(nf=8, nb=1)
    cfg['model']['discriminator']['num_feat'] = 8
    cfg['model']['perceptual_criterion'].update(
        vgg_weights=None, random_vgg=True, layer_weights={'2': 1.0})
    _sr_paths(cfg, data, 4)
    cfg['dataset']['train'].update(batch_size=2, num_workers=0)
    cfg['lr_scheduler']['milestones'] = [2, 4]
    cfg['validate']['interval'] = 2
    return cfg, 5, 3


def sparnet(data, faces):
    cfg = _load('sparnet_demo.yaml')
    cfg['model']['generator'] = dict(
        name='SPARNet', min_ch=8, max_ch=16, in_size=32, out_size=32,
        min_feat_size=8, res_depth=0, relu_type='leakyrelu', norm_type='bn',
        att_name='spar', bottleneck_size=8, hourglass_width=8)
    for split in ('train', 'test'):
        cfg['dataset'][split].update(folder=str(faces), gt_size=32, scale=4)
    cfg['dataset']['train']['batch_size'] = 2
    cfg['validate']['interval'] = 2
    return cfg, 6, 3


def sparnethd(data, faces):
    cfg = _load('sparnethd_demo.yaml')
    cfg['model']['perceptual_criterion']['layer_weights'] = {'2': 1.0}
    # the VGG at the demo's 64x64 instead of 224x224: resume, not fidelity,
    # is tested here
    cfg['model']['perceptual_criterion']['resize_below'] = None
    for split in ('train', 'test'):
        cfg['dataset'][split]['gt_folder'] = str(faces)
    cfg['validate']['interval'] = 2
    return cfg, 5, 3


def pgan(data, faces):
    adam = {'name': 'Adam', 'beta1': 0.0, 'beta2': 0.99}
    ds = {'name': 'ImageFolderDataset', 'dataroot': str(faces), 'size': 8,
          'num_workers': 0}
    cfg = _with_common({
        'total_iters': 7, 'output_dir': 'output_dir',
        'model': {
            'name': 'PGANModel',
            'generator': {'name': 'PGANGenerator', 'latent_dim': 8},
            'discriminator': {'name': 'PGANDiscriminator'},
            'depth_scales': [8, 8], 'max_iter_at_scale': [3, 4],
            'alpha_n_jumps': [0, 2], 'alpha_size_jumps': [0, 1],
            'max_eval_steps': 1},
        'dataset': {'train': dict(ds, batch_size=2, random_hflip=True),
                    'test': dict(ds, batch_size=4)},
        'lr_scheduler': {'name': 'MultiStepDecay', 'learning_rate': 0.001,
                         'milestones': [5], 'gamma': 0.5},
        'optimizer': {'optimG': dict(adam, net_names=['generator']),
                      'optimD': dict(adam, net_names=['discriminator'])},
        'validate': {'interval': 3, 'save_img': False,
                     'metrics': {'swd': {'name': 'LaplacianSWD'}}},
    })
    # killed at 4, resumed from 3: the nets grow (at 4) after the resume
    return cfg, 7, 3


FAMILIES = {'rdn': rdn, 'rdn_by_epoch': rdn_by_epoch, 'esrgan': esrgan,
            'sparnet': sparnet, 'sparnethd': sparnethd, 'pgan': pgan}
ITERS_PER_EPOCH = 2  # five samples, batches of two


class Names:
    """Checkpoint file names and log lines of iteration ``it``, for runs
    counted in iterations or (``epochs:``) in epochs."""

    def __init__(self, cfg, total):
        self.epochs, self.total = cfg.get('epochs'), total

    def checkpoint(self, out, it):
        stem = (f'epoch_{it // ITERS_PER_EPOCH}' if self.epochs else
                f'iter_{it}')
        found = glob.glob(os.path.join(out, '*', f'{stem}_checkpoint.pdparams'))
        assert len(found) == 1, (out, it, found)
        return found[0]

    def log_line(self, it):
        if not self.epochs:
            return f'Iter: {it}/{self.total} '
        epoch, inner = divmod(it - 1, ITERS_PER_EPOCH)
        return (f'Epoch: {epoch + 1}/{self.epochs}, iter: {inner + 1}/'
                f'{ITERS_PER_EPOCH} ')


def _survivors(pgid):
    alive = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            if os.getpgid(int(pid)) == pgid:
                alive.append(int(pid))
        except ProcessLookupError:
            continue
    return alive


def _train(config, out, total, *extra, kill_at=None):
    """Run the driver in its own process group; returns (returncode, log).
    After the trainer exits, no process of its group (data-loader workers)
    may outlive it."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop('PPGAN_EXT_KILL_AT', None)
    if kill_at:
        env['PPGAN_EXT_KILL_AT'] = str(kill_at)
    log_path = f'{out}.log'
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            [sys.executable, DRIVER, '-c', config, '--device', 'cpu',
             '--seed', '7', *extra, '-o', f'output_dir={out}',
             f'total_iters={total}'],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            code = proc.wait(timeout=600)
        finally:
            deadline = time.time() + 10
            while _survivors(proc.pid) and time.time() < deadline:
                time.sleep(0.2)
            orphans = _survivors(proc.pid)
            if orphans:
                os.killpg(proc.pid, signal.SIGKILL)
    with open(log_path) as f:
        text = f.read()
    assert not orphans, f'processes outlived the trainer: {orphans}'
    return code, text


def _by_position(state):
    """Optimizer keys renamed after parameter positions, so two processes
    whose layers got different generated names compare equal."""
    names = state['run_state'].pop('optimizer_params')
    for opt, params in names.items():
        order = sorted(range(len(params)), key=lambda i: -len(params[i]))
        renamed = {}
        for key, value in state[opt].items():
            for i in order:
                if key.startswith(params[i] + '_'):
                    key = f'param{i}' + key[len(params[i]):]
                    break
            renamed[key] = value
        state[opt] = renamed
    return state


def _assert_identical(a, b, path='checkpoint'):
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), \
            f'{path}: keys differ: {sorted(set(a) ^ set(b))[:8]}'
        for k in a:
            _assert_identical(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f'{path}: lengths differ'
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_identical(x, y, f'{path}[{i}]')
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert np.array_equal(a, b, equal_nan=True), \
            f'{path}: max abs diff {np.max(np.abs(a - b))}'
    else:
        assert a == b, f'{path}: {a!r} != {b!r}'


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_resume_after_sigkill_is_bit_identical(family, sr_data, faces,
                                               tmp_path):
    cfg, total, k = FAMILIES[family](sr_data, faces)
    config = tmp_path / f'{family}.yaml'
    config.write_text(yaml.safe_dump(cfg))

    names = Names(cfg, total)

    code, log = _train(str(config), tmp_path / 'straight', total)
    assert code == 0, log[-3000:]

    code, log = _train(str(config), tmp_path / 'killed', total, kill_at=k + 1)
    assert code == -signal.SIGKILL, log[-3000:]
    assert names.log_line(k) in log and names.log_line(k + 1) not in log
    last_good = names.checkpoint(tmp_path / 'killed', k)
    run_files = os.listdir(os.path.dirname(last_good))
    assert not [f for f in run_files if f.endswith('.pdparams') and
                f.startswith(f'iter_{k + 1}_')]
    assert not [f for f in run_files if '.tmp' in f]

    code, log = _train(str(config), tmp_path / 'resumed', total, '--resume',
                       last_good)
    assert code == 0, log[-3000:]
    assert names.log_line(k + 1) in log and names.log_line(k) not in log

    want = _by_position(load_checkpoint(names.checkpoint(tmp_path / 'straight',
                                                         total)))
    got = _by_position(load_checkpoint(names.checkpoint(tmp_path / 'resumed',
                                                        total)))
    assert want['epoch'] == got['epoch'] == total
    _assert_identical(want, got)
