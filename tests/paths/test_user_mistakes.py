"""A careless user's mistakes on the paths of tests/paths: each gives one
``error:`` line naming the culprit and exit code 2 (never a traceback or a
warning flood), before any work is lost; Ctrl-C saves and says how to go
on; runs never share a folder."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.engine.run_setup import make_run_folder
from ppgan_ext.models.generators.sparnet import SPARNet
from tests.user_paths import ROOT, run_cli, run_tool, train, weights_of

CONFIG = 'configs/rdn_x2_demo.yaml'
TINY = ['model.generator.num_features=8', 'model.generator.num_blocks=1',
        'model.generator.num_layers=1', 'model.generator.growth_rate=8',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size=24',
        'dataset.train.batch_size=2', 'validate.interval=2',
        'snapshot_config.interval=2', 'log_config.interval=1']


def one_error_line(log, *expected):
    """The output holds exactly one ``error:`` line, containing every
    ``expected`` text, and no traceback."""
    errors = [line for line in log.splitlines() if line.startswith('error:')]
    assert len(errors) == 1, log[-3000:]
    assert 'Traceback' not in log, log[-3000:]
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


@pytest.fixture(scope='module')
def rdn(tmp_path_factory):
    """A tiny RDN trained 2 iterations; a SPARNet weights file."""
    build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)
    tmp = tmp_path_factory.mktemp('mistakes')
    _, run = train(CONFIG, str(tmp / 'out'), TINY + ['total_iters=2'])
    sparnet = SPARNet(min_ch=8, max_ch=16, in_size=32, out_size=32,
                      min_feat_size=8, res_depth=0, bottleneck_size=8,
                      hourglass_width=8)
    other = str(tmp / 'sparnet.pdparams')
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   sparnet.state_dict().items()}}, other)
    blocker = tmp / 'a_file'
    blocker.write_text('not a folder')
    return dict(tmp=tmp, run=run, weights=weights_of(run), other=other,
                under_file=str(blocker / 'out'))


def test_unwritable_output_dir_of_a_training_run(tmp_path):
    proc = run_cli(['tools/main.py', '-c', CONFIG, '-o',
                    'output_dir=/proc/x', 'total_iters=1'])
    assert proc.returncode == 2, proc.stderr[-2000:]
    one_error_line(proc.stderr, 'output_dir=/proc/x: cannot create a run '
                   'folder there')


@pytest.mark.parametrize('tool, extra', [
    ('inference', ['--input', 'data/demo_sr/test_X2']),
    ('export_model', []),
    ('prepare_data', None),
])
def test_output_under_a_regular_file(rdn, tool, extra):
    if extra is None:
        argv = ['--hr', 'data/demo_sr/test', '--out', rdn['under_file'],
                '--scales', '2']
    else:
        flag = '--load' if tool == 'export_model' else '--weights'
        argv = [flag, rdn['weights'], '--out', rdn['under_file'], *extra]
    code, log = run_tool(tool, argv)
    assert code == 2, log
    one_error_line(log, f"--out {rdn['under_file']}: ", 'is a file')


def test_loading_another_models_weights_names_the_mismatch(rdn):
    proc = run_cli(['tools/main.py', '-c', CONFIG, '--evaluate-only',
                    '--load', rdn['other'], '-o',
                    f"output_dir={rdn['tmp']}/ev", *TINY])
    assert proc.returncode == 2, proc.stderr[-2000:]
    one_error_line(proc.stderr, 'sparnet.pdparams: net generator: does not '
                   'fit this network', 'missing (e.g. ', 'unexpected (e.g. ')
    assert 'Skip loading' not in proc.stdout + proc.stderr


def test_resume_from_a_weights_file_is_refused_before_building(rdn):
    code, log = run_tool('main', ['--resume', rdn['weights'], '-o',
                                  'dataset.train.gt_folder=/nonexistent'])
    assert code == 2, log
    one_error_line(log, f"--resume {rdn['weights']}: this is a weights file",
                   '--load')


def test_enhance_faces_with_an_sr_model(rdn):
    code, log = run_tool('enhance_faces', [
        '--weights', rdn['weights'], '--input', 'data/demo_sr/test', '--out',
        str(rdn['tmp'] / 'faces')])
    assert code == 2, log
    one_error_line(log, 'RDN (x2) is not a face model', 'tools/inference.py')


def test_evaluate_only_needs_weights(rdn):
    argv = ['-c', CONFIG, '--evaluate-only', '-o',
            f"output_dir={rdn['tmp']}/random", *TINY]
    code, log = run_tool('main', argv)
    assert code == 2, log
    one_error_line(log, '--evaluate-only without --load',
                   '--allow-random-weights')
    code, log = run_tool('main', argv + ['--allow-random-weights'])
    assert code == 0, log


@pytest.mark.parametrize('config, override, section, text', [
    (CONFIG, 'model.generator.num_blocks=0', 'model:', 'num_blocks=0'),
    ('configs/pgan_demo_lfw.yaml', 'validate.metrics.swd.patch_size=0',
     'validate.metrics:', 'patch_size must be a positive int'),
    ('configs/pgan_demo_lfw.yaml', 'dataset.train.channels=2',
     'dataset.train:', 'channels must be 1 or 3'),
])
def test_a_bad_argument_names_its_config_section(tmp_path, config, override,
                                                 section, text):
    """A class that refuses an argument knows its name; the Trainer adds
    the config section it was building."""
    code, log = run_tool('main', ['-c', config, '-o', override,
                                  f'output_dir={tmp_path}', 'total_iters=1'])
    assert code == 2, log
    assert one_error_line(log, text).startswith(f'error: {section}')


def test_inference_tool_names_the_generator_section(rdn):
    code, log = run_tool('inference', [
        '--weights', rdn['weights'], '-o', 'model.generator.num_blocks=-1',
        '--input', 'data/demo_sr/test_X2', '--out', str(rdn['tmp'] / 'o2')])
    assert code == 2, log
    one_error_line(log, 'model.generator: RDN: num_blocks=-1')


def test_tool_overrides_apply_to_the_run_config(rdn):
    """``-o`` on top of the run folder's config.yaml: widths that do not
    match the weights are named, so the override was applied."""
    code, log = run_tool('inference', [
        '--weights', rdn['weights'], '-o', 'model.generator.num_features=16',
        '--input', 'data/demo_sr/test_X2', '--out', str(rdn['tmp'] / 'o')])
    assert code == 2, log
    one_error_line(log, 'mis-shaped', '[8, 3, 3, 3] vs [16, 3, 3, 3]')


def test_no_config_and_no_run_folder(rdn, tmp_path):
    lone = tmp_path / 'w.pdparams'
    lone.write_bytes(open(rdn['weights'], 'rb').read())
    code, log = run_tool('inference', ['--weights', str(lone), '--input',
                                       'data/demo_sr/test_X2', '--out',
                                       str(tmp_path / 'o')])
    assert code == 2, log
    one_error_line(log, 'no config: give -c/--config-file',
                   f'its folder {tmp_path} has no config.yaml')


def test_runs_in_the_same_second_get_their_own_folders(tmp_path):
    now = time.time()
    first = make_run_folder(str(tmp_path), 'rdn_x2_demo', now)
    second = make_run_folder(str(tmp_path), 'rdn_x2_demo', now)
    assert first != second and second == first + '-2'
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(first),
                                           os.path.basename(second)]


def test_evaluate_only_writes_its_own_folder(rdn):
    code, log = run_tool('main', ['--evaluate-only', '--load',
                                  rdn['weights']])
    assert code == 0, log
    runs = sorted(os.listdir(os.path.dirname(rdn['run'])))
    assert len(runs) == 2 and any('-eval-' in r for r in runs), runs
    # the training run's own files are untouched
    assert sorted(os.listdir(rdn['run'])) == sorted(
        ['config.yaml', 'log.txt', 'iter_2_weight.pdparams',
         'iter_2_checkpoint.pdparams'] +
        [f for f in os.listdir(rdn['run']) if f.startswith('vdlrecords')])


def test_image_too_large_untiled_runs_in_tiles(rdn, monkeypatch):
    from ppgan_ext.deploy import predictor as predictor_module
    from ppgan_ext.io.images import read_image
    pred = predictor_module.SRPredictor(None, rdn['weights'],
                                        engine='dynamic')
    img = read_image('data/demo_sr/test_X2/chelsea.png')
    whole = pred.predict(img)
    monkeypatch.setattr(predictor_module, '_available_memory',
                        lambda: 4 * pred._bytes_per_pixel * 64 * 64)
    assert pred.auto_tile(*img.shape[:2]) is not None
    tiled = pred.predict(img)
    assert np.abs(tiled.astype(int) - whole).max() <= 1


def test_ctrl_c_saves_and_says_how_to_continue(rdn, tmp_path):
    out = tmp_path / 'out'
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(
        [sys.executable, 'tools/main.py', '-c', CONFIG, '--seed', '0', '-o',
         f'output_dir={out}', 'total_iters=100000', *TINY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    for line in proc.stdout:  # after the checkpoint of iteration 2
        if 'Iter: 4/' in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    assert 'Traceback' not in err
    last = [line for line in err.splitlines() if line.startswith(
        'interrupted at iteration')]
    assert len(last) == 1, err[-2000:]
    it = int(last[0].split()[3].rstrip(';'))
    run = os.path.join(out, os.listdir(out)[0])
    saved = os.path.join(run, f'iter_{it}_checkpoint.pdparams')
    assert f'saved {saved}; continue with: python -u tools/main.py -c ' \
        f'{CONFIG} --resume {saved}' in last[0]
    # keep_checkpoints: 1 -- the interval checkpoint of iteration 2 is gone
    ckpts = [f for f in os.listdir(run) if f.endswith('_checkpoint.pdparams')]
    assert ckpts == [os.path.basename(saved)]
    # the printed command continues at the next iteration
    code, log = run_tool('main', ['-c', CONFIG, '--resume', saved, '-o',
                                  f'output_dir={tmp_path}/resumed',
                                  f'total_iters={it + 1}', *TINY])
    assert code == 0, log
    resumed = os.path.join(tmp_path, 'resumed')
    run2 = os.path.join(resumed, os.listdir(resumed)[0])
    log_txt = open(os.path.join(run2, 'log.txt')).read()
    assert f'resumed from iteration {it}' in log_txt
    assert f'Iter: {it + 1}/{it + 1}' in log_txt


def test_fewer_training_samples_than_a_batch(tmp_path):
    import shutil
    for split, sub in (('train', 'test'), ('train_X2', 'test_X2')):
        os.makedirs(tmp_path / split)
        shutil.copy(os.path.join(ROOT, 'data', 'demo_sr', sub,
                                 'chelsea.png'), tmp_path / split)
    code, log = run_tool('main', [
        '-c', CONFIG, '-o', f'output_dir={tmp_path}/out',
        f'dataset.train.gt_folder={tmp_path}/train',
        f'dataset.train.lq_folder={tmp_path}/train_X2', *TINY[:4]])
    assert code == 2, log
    one_error_line(log, 'dataset.train: 1 sample(s), fewer than '
                   'batch_size=4')
