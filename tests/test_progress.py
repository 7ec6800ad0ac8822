"""Progress bars: every long loop reports through ppgan_ext.progress, drawn
on a terminal and absent from captured or piped output."""
import io
import logging
import os
import sys

import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext import progress as bars
from ppgan_ext.prepare.demo_faces_lfw import build_demo_faces_lfw
from ppgan_ext.prepare.face_crops import write_face_crops
from ppgan_ext.io.images import write_image
from ppgan_ext.prepare.pairs_writer import write_pairs
from ppgan_ext.deploy.predictor import predict
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.metrics.ms_ssim import MSSSIMDiversity
from ppgan_ext.metrics.swd import LaplacianSWD
from tests.bad_images import good_rgb
from tests.predictor_fakes import (InvertFacesForTests, NearestX2ForTests,
                                   write_config)
from tools import enhance_faces, export_model


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def photos(folder, n=2, side=24):
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        write_image(os.path.join(folder, f'p{i}.png'), good_rgb(side, side, i))
    return str(folder)


def fake_weights(tmp_path, net):
    path = str(tmp_path / 'w.pdparams')
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, path)
    return path


def run_predict(tmp_path):
    cfg = write_config(tmp_path, {'name': 'NearestX2ForTests'})
    predict(cfg, fake_weights(tmp_path, NearestX2ForTests()),
            [photos(tmp_path / 'in')], str(tmp_path / 'out'), tile=8,
            engine='dynamic')


def run_export(tmp_path):
    gen = {'name': 'RDN', 'num_features': 4, 'num_blocks': 1,
           'num_layers': 1, 'growth_rate': 4, 'scale': 2}
    from ppgan_ext.models.generators.rdn import RDN
    export_model.main(['-c', write_config(tmp_path, gen), '--load',
                       fake_weights(tmp_path, RDN(**{k: v for k, v in
                                                     gen.items()
                                                     if k != 'name'})),
                       '--out', str(tmp_path / 'e'), '--size', '8'])


def run_enhance(tmp_path):
    cfg = write_config(tmp_path, {'name': 'InvertFacesForTests'})
    with pytest.raises(SystemExit) as e:
        enhance_faces.main(['-c', cfg, '--weights',
                            fake_weights(tmp_path, InvertFacesForTests()),
                            '--input', photos(tmp_path / 'in'), '--out',
                            str(tmp_path / 'out')])
    assert e.value.code == 0


def run_ms_ssim(tmp_path):
    metric = MSSSIMDiversity(num_pairs=8, batch_pairs=2)
    metric.update(np.random.RandomState(0).uniform(-1, 1, (4, 3, 32, 32)))
    first = metric.accumulate()
    assert metric.accumulate() == first  # computed (and shown) once


def run_swd(tmp_path):
    rng = np.random.RandomState(0)
    metric = LaplacianSWD(patches_per_image=8, dirs_per_repeat=8)
    metric.update(rng.uniform(-1, 1, (2, 3, 32, 32)),
                  rng.uniform(-1, 1, (2, 3, 32, 32)))
    metric.accumulate()


LOOPS = {  # what runs -> the bars it must draw
    'inference': (run_predict, ['super-resolving', 'tiles']),
    'export': (run_export, ['export', 'paddle.jit.to_static',
                            'check: Paddle Inference (plain)']),
    'enhance_faces': (run_enhance, ['photos']),
    'prepare_data': (lambda t: write_pairs(photos(t / 'hr'), str(t / 'o'),
                                           'train', (2, )),
                     ['train: LR/HR pairs']),
    'prepare_faces': (lambda t: write_face_crops(
        [os.path.join(photos(t / 'f'), 'p0.png')], str(t / 'o'), 16,
        already_cropped=True), ['face crops']),
    'demo_data': (lambda t: build_demo_faces_lfw(str(t)), ['demo_faces_lfw']),
    'ms_ssim': (run_ms_ssim, ['MS-SSIM pairs']),
    'swd': (run_swd, ['SWD levels']),
}


@pytest.mark.parametrize('loop', sorted(LOOPS))
def test_bars_on_a_terminal(loop, tmp_path, monkeypatch, capsys):
    run, descs = LOOPS[loop]
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    run(tmp_path)
    drawn = terminal.getvalue()
    for desc in descs:
        assert desc in drawn
    assert '100%' in drawn
    assert '100%' not in capsys.readouterr().out  # bars never on stdout


@pytest.mark.parametrize('loop', sorted(LOOPS))
def test_no_bars_when_output_is_captured(loop, tmp_path, capsys):
    LOOPS[loop][0](tmp_path)
    printed = capsys.readouterr()
    for mark in ('\r', '%|', '100%'):  # what any tqdm bar prints
        assert mark not in printed.out + printed.err


def test_inner_bars_are_removed_when_done(monkeypatch):
    monkeypatch.setattr(sys, 'stderr', FakeTerminal())
    with bars.progress(range(2), 'outer') as outer:
        inner = bars.progress(range(2), 'inner', nested=True)
        assert outer.leave and not inner.leave
        inner.close()


def test_log_lines_go_above_the_bars(monkeypatch):
    monkeypatch.setattr(sys, 'stderr', FakeTerminal())
    screen = io.StringIO()
    monkeypatch.setattr(sys, 'stdout', screen)
    logger = logging.getLogger('ppgan_ext_test_progress')
    handler = logging.StreamHandler(sys.stdout)
    logger.addHandler(handler)
    try:
        with bars.logs_above_bars(logger.name):
            assert handler not in logger.handlers  # routed through tqdm
            logger.warning('a log line')
        assert logger.handlers == [handler]
    finally:
        logger.removeHandler(handler)
    assert screen.getvalue() == 'a log line\n'


def test_validation_over_a_folder_has_a_bar(tmp_path, monkeypatch):
    from ppgan_ext.prepare.demo_data import build_demo_sr
    from tests.tools.test_rdn_end_to_end import CONFIG, run_cli, tiny_overrides
    data = build_demo_sr(os.path.join(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))), 'data'),
        log=lambda *a: None)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    run_cli(['-c', CONFIG, '-o', f'output_dir={tmp_path}', 'total_iters=2']
            + tiny_overrides(data))
    drawn = terminal.getvalue()
    assert 'validation: 100%' in drawn and '2/2' in drawn  # two photos
