"""ESRGAN (ppgan's own, unchanged) through tools/main.py on the demo data:
train -> validate -> checkpoint -> VisualDL -> --evaluate-only -> --resume."""
import glob
import os
import re
import subprocess
import sys

import pytest

from ppgan_ext.prepare.demo_data import build_demo_sr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TINY = ['model.generator.nf=8', 'model.generator.nb=1',
        'dataset.train.batch_size=2',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size=32',
        'log_config.interval=1', 'validate.interval=3',
        'snapshot_config.interval=2', 'snapshot_config.keep_checkpoints=-1']


@pytest.fixture(scope='module')
def demo_data():
    return build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)


def main_py(*args):
    proc = subprocess.run([sys.executable, '-u', 'tools/main.py', *args],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def metrics(log):
    return {k: float(v) for k, v in
            re.findall(r'Metric (\w+): ([-\d.]+)', log)[-2:]}


@pytest.fixture(scope='module')
def trained(demo_data, tmp_path_factory):
    out = tmp_path_factory.mktemp('esrgan')
    log = main_py('-c', 'configs/esrgan_psnr_x4_demo.yaml', '--seed', '3',
                  '-o', 'total_iters=4', f'output_dir={out}', *TINY)
    run = glob.glob(str(out / '*'))[0]
    return log, run, out


def test_train_validates_saves_and_logs(trained):
    log, run, _ = trained
    assert 'Iter: 4/4' in log
    assert set(metrics(log)) == {'psnr', 'ssim'}
    for name in ('iter_2_checkpoint', 'iter_4_checkpoint', 'iter_2_weight',
                 'iter_4_weight'):
        assert os.path.isfile(os.path.join(run, name + '.pdparams')), name
    assert not os.path.exists(os.path.join(run, 'iter_3_checkpoint.pdparams'))


def test_visualdl_log_reads_back(trained):
    from visualdl import LogReader
    _, run, _ = trained
    reader = LogReader(file_path=glob.glob(os.path.join(run, 'vdlrecords*'))[0])
    tags = reader.get_tags()
    assert {'loss_pixel', 'lr', 'metrics/psnr', 'metrics/ssim'} <= set(
        tags['scalar'])
    assert [r.id for r in reader.get_data('scalar', 'loss_pixel')] == \
        [1, 2, 3, 4]
    psnr_steps = [r.id for r in reader.get_data('scalar', 'metrics/psnr')]
    assert psnr_steps == [3, 4]  # interval 3, then the final validation
    assert {'val/lq', 'val/gt', 'val/output'} <= set(tags['image'])


def test_evaluate_only_reproduces_validation(trained):
    log, run, out = trained
    ev = main_py('-c', 'configs/esrgan_psnr_x4_demo.yaml', '--evaluate-only',
                 '--load', os.path.join(run, 'iter_4_weight.pdparams'), '-o',
                 f'output_dir={out}/eval', *TINY)
    assert metrics(ev) == metrics(log)


def test_resume_continues_from_saved_iteration(trained):
    _, run, out = trained
    log = main_py('-c', 'configs/esrgan_psnr_x4_demo.yaml', '--resume',
                  os.path.join(run, 'iter_2_checkpoint.pdparams'), '-o',
                  'total_iters=4', f'output_dir={out}/resumed', *TINY)
    iters = [int(i) for i in re.findall(r'Iter: (\d+)/4', log)]
    assert iters == [3, 4]


def test_bad_resume_file_is_a_clear_error(trained, tmp_path):
    bad = tmp_path / 'iter_9_checkpoint.pdparams'
    bad.write_bytes(b'\x80\x02}q\x00(X')
    proc = subprocess.run(
        [sys.executable, 'tools/main.py', '-c',
         'configs/esrgan_psnr_x4_demo.yaml', '--resume', str(bad), '-o',
         f'output_dir={tmp_path}'], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 2
    assert 'iter_9_checkpoint.pdparams: cannot load checkpoint' in proc.stderr
    assert 'Traceback' not in proc.stderr
