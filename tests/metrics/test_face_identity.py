"""FaceIdentitySimilarity and FaceLandmarkNME on real faces, in a SPARNet
validation run, and without dlib."""
import glob
import logging
import os
import sys

import cv2
import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
from ppgan.metrics.builder import METRICS
from ppgan_ext.config import load_config
from ppgan_ext.config_check import validate_config
from ppgan_ext.io.images import read_image
from ppgan_ext.cli import main, run
from ppgan_ext.faceutils import DlibUnavailableError, FaceDetector, align_face
from ppgan_ext.metrics.face_identity import (FaceIdentitySimilarity,
                                             FaceLandmarkNME)
from tests.real_faces import astronaut, grace_hopper
from tests.tiny_sparnet import tiny_sparnet_config

def _aligned(img, size=128):
    face = FaceDetector().detect(img)[0]
    return align_face(img, face.points, size, 'celeba')[0]


@pytest.fixture(scope='module')
def faces():
    return _aligned(astronaut()), _aligned(grace_hopper())


def _score(metric, preds, gts):
    metric.reset()
    metric.update(preds, gts)
    return metric.accumulate()


def _down_up(img, factor):
    s = img.shape[0]
    small = cv2.resize(img, (s // factor, s // factor),
                       interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (s, s), interpolation=cv2.INTER_CUBIC)


def test_identity_same_face_one_other_face_lower(faces):
    a, g = faces
    m = FaceIdentitySimilarity()
    assert _score(m, [a], [a]) == pytest.approx(1.0, abs=1e-9)
    other = _score(m, [g], [a])
    blurred = _score(m, [_down_up(a, 4)], [a])
    assert other < 0.93 and other < blurred - 0.03 < 1.0, (other, blurred)
    # the mean over pairs
    assert _score(m, [a, g], [a, a]) == pytest.approx((1 + other) / 2)


def test_nme_zero_for_the_same_face_and_grows_with_a_shift(faces):
    a, _ = faces
    n = FaceLandmarkNME()
    assert _score(n, [a], [a]) == 0.0
    # the SR face moved 4 px: every landmark moves ~4 px
    shifted = cv2.warpAffine(a, np.float32([[1, 0, 4], [0, 1, 0]]),
                             (128, 128), borderMode=cv2.BORDER_REPLICATE)
    face = FaceDetector().detect(a)[0]
    from ppgan_ext.faceutils.recognition import landmarks68
    lm = landmarks68(a, face)
    ocular = np.linalg.norm(lm[36] - lm[45])
    assert _score(n, [shifted], [a]) == pytest.approx(4 / ocular, rel=0.35)
    assert 0 < _score(n, [_down_up(a, 8)], [a]) < 4 / ocular


def test_pairs_without_a_face_are_left_out(faces):
    a, _ = faces
    m = FaceIdentitySimilarity()
    flat = np.full_like(a, 128)
    m.update([a, flat], [a, flat])
    assert m.count == 1 and m.no_face == 1
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    log = logging.getLogger('ppgan')  # the training log
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        assert m.accumulate() == pytest.approx(1.0)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert seen == ['FaceIdentitySimilarity: no face found in 1 HR '
                    'image(s); left out of the mean']
    m.reset()
    m.update([flat], [flat])
    assert np.isnan(m.accumulate())


def test_each_hr_image_is_searched_for_a_face_once(faces, monkeypatch):
    """Both face metrics and every later validation reuse the HR face."""
    from ppgan_ext.metrics import face_identity
    calls = []
    detect = FaceDetector.detect
    monkeypatch.setattr(face_identity, '_HR_FACES', {})
    monkeypatch.setattr(FaceDetector, 'detect',
                        lambda self, img: calls.append(1) or detect(self, img))
    gt = faces[0]
    for metric in (FaceIdentitySimilarity(), FaceLandmarkNME(),
                   FaceIdentitySimilarity()):
        _score(metric, [gt], [gt.copy()])
    assert len(calls) == 1
    _score(FaceLandmarkNME(), [gt], [faces[1]])
    assert len(calls) == 2


def test_registered_and_accepted_in_configs():
    assert METRICS.get('FaceIdentitySimilarity') is FaceIdentitySimilarity
    assert METRICS.get('FaceLandmarkNME') is FaceLandmarkNME
    for name in ('sparnet_demo', 'sparnet', 'sparnet_light_attn3d'):
        cfg = load_config(name)
        validate_config(cfg, name)
    assert {'face_identity', 'face_landmark_nme'} <= set(
        cfg['validate']['metrics'])


def test_without_dlib_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'dlib', None)
    with pytest.raises(DlibUnavailableError,
                       match='metric FaceLandmarkNME: dlib is not installed'
                       '.*pip install dlib-bin face_recognition_models'):
        FaceLandmarkNME()


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    return tiny_sparnet_config(tmp_path_factory.mktemp('face_metrics'))


def test_validation_reports_them_as_the_saved_images_give(tiny_config):
    with paddle.utils.unique_name.guard():
        trainer = main(['-c', tiny_config, '--device', 'cpu', '--seed', '0'])
    got = trainer.last_metrics
    assert 0 < got['face_identity'] <= 1 and got['face_landmark_nme'] > 0
    # the same numbers from the images the validation saved
    vis = os.path.join(trainer.output_dir, 'visual_test')
    outs = sorted(glob.glob(os.path.join(vis, 'iter002_*_output.png')))
    assert len(outs) == 3
    preds = [read_image(p) for p in outs]
    gts = [read_image(p.replace('_output.png', '_gt.png')) for p in outs]
    assert got['face_identity'] == pytest.approx(
        _score(FaceIdentitySimilarity(), preds, gts), abs=1e-9)
    assert got['face_landmark_nme'] == pytest.approx(
        _score(FaceLandmarkNME(), preds, gts), abs=1e-9)


def test_cli_without_dlib_one_line_exit_2(tiny_config, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'dlib', None)
    with pytest.raises(SystemExit) as e:
        with paddle.utils.unique_name.guard():
            run(['-c', tiny_config, '--device', 'cpu', '--evaluate-only',
                 '--allow-random-weights'])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: metric FaceIdentitySimilarity: dlib is '
                              'not installed')
    assert 'Traceback' not in '\n'.join(err)
