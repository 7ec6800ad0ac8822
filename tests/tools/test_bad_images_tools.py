"""Every image-reading tool over every bad and odd image kind.

Folder runs hold one good image ``a.png`` next to the ``kind`` file: a bad
file is reported by name and skipped, the good one is still processed, and
the output folder holds exactly the finished images (no partial or
temporary files). Odd kinds are processed as 8-bit RGB.
"""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.io import images as image_files
from ppgan_ext.io.images import read_image, write_image
from ppgan_ext.io.checkpoint import save_checkpoint
from tests.bad_images import (ALL_KINDS, BAD_KINDS, expected_rgb, good_rgb,
                              write_kind)
from tests.predictor_fakes import (InvertFacesForTests, NearestX2ForTests,
                                   write_config)
from tools import enhance_faces, inference, make_figures, prepare_data
from tools.prepare_faces import main as prepare_faces_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def photos(tmp_path, kind):
    """``in/a.png`` (good) and ``in/z_<kind>.*``; returns (folder, path)."""
    src = tmp_path / 'in'
    src.mkdir()
    write_image(str(src / 'a.png'), good_rgb(seed=5))
    return str(src), write_kind(str(src / f'z_{kind}'), kind)


def out_name(path):
    return os.path.splitext(os.path.basename(path))[0] + '.png'


def fake_model(tmp_path, net_cls, model='ExtSRModel'):
    cfg = write_config(tmp_path, {'name': net_cls.__name__}, model)
    weights = str(tmp_path / 'w.pdparams')
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net_cls().state_dict().items()}}, weights)
    return cfg, weights


def exit_code(main, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code


def assert_skipped(printed, path, out_dir, good=('a.png', )):
    assert f'skip: {path}' in printed
    assert sorted(os.listdir(out_dir)) == sorted(good)


def nearest_x2(img):
    return np.repeat(np.repeat(img, 2, 0), 2, 1)


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_prepare_data(tmp_path, kind, capsys):
    src, path = photos(tmp_path, kind)
    out = tmp_path / 'out'
    prepare_data.main(['--hr', src, '--out', str(out), '--split', 'test',
                       '--scales', '2'])
    printed = capsys.readouterr().out
    if kind in BAD_KINDS or kind == 'one_pixel':
        assert_skipped(printed, path, out / 'test')
        assert sorted(os.listdir(out / 'test_X2')) == ['a.png']
        assert 'x2: 1 pairs; skipped 1 bad file(s)' in printed
        return
    name = out_name(path)
    assert sorted(os.listdir(out / 'test')) == ['a.png', name]
    np.testing.assert_array_equal(read_image(str(out / 'test' / name)),
                                  expected_rgb(kind))
    assert read_image(str(out / 'test_X2' / name)).shape == (12, 12, 3)


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_prepare_faces(tmp_path, kind, capsys):
    src, path = photos(tmp_path, kind)
    out = tmp_path / 'crops'
    rc = prepare_faces_main(['--input', src, '--out', str(out), '--size',
                             '24', '--already-cropped'])
    printed = capsys.readouterr().out
    assert rc == 0
    if kind in BAD_KINDS:
        assert_skipped(printed, path, out)
        assert '2 file(s): 1 image(s) read, 1 face(s) written' in printed
    else:
        np.testing.assert_array_equal(read_image(str(out / out_name(path))),
                                      expected_rgb(kind, out=24))
    # face search: noise has no face, a bad file is counted as unreadable
    rc = prepare_faces_main(['--input', path, '--out', str(tmp_path / 'f')])
    bad = int(kind in BAD_KINDS)
    assert rc == 1 and not os.path.exists(tmp_path / 'f')
    assert (f'1 file(s): {1 - bad} image(s) read, 0 face(s) written, '
            f'{1 - bad} without a face, {bad} unreadable') in \
        capsys.readouterr().out


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_inference(tmp_path, kind, capsys):
    src, path = photos(tmp_path, kind)
    cfg, weights = fake_model(tmp_path, NearestX2ForTests)
    out = tmp_path / 'out'
    assert exit_code(inference.main, ['-c', cfg, '--weights', weights,
                                      '--input', src, '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    if kind in BAD_KINDS:
        assert_skipped(printed, path, out)
        assert '1 written to' in printed and '1 skipped' in printed
        return
    got = read_image(str(out / os.path.basename(path)))
    np.testing.assert_array_equal(got, nearest_x2(expected_rgb(kind)))
    # a run of only bad files writes nothing and fails
    if kind == 'gray':
        bad = write_kind(str(tmp_path / 'only_bad'), 'text')
        assert exit_code(inference.main, [
            '-c', cfg, '--weights', weights, '--input', bad, '--out',
            str(tmp_path / 'none')]) == 1
        assert not os.path.exists(tmp_path / 'none')


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_enhance_faces(tmp_path, kind, capsys):
    src, path = photos(tmp_path, kind)
    cfg, weights = fake_model(tmp_path, InvertFacesForTests, 'SPARNetModel')
    out = tmp_path / 'out'
    assert exit_code(enhance_faces.main, [
        '-c', cfg, '--weights', weights, '--input', src, '--out',
        str(out)]) == 0
    printed = capsys.readouterr().out
    if kind in BAD_KINDS:
        assert_skipped(printed, path, out)
        assert '1 photo(s) written' in printed and '1 skipped' in printed
        assert exit_code(enhance_faces.main, [
            '-c', cfg, '--weights', weights, '--input', path, '--out',
            str(tmp_path / 'none')]) == 1
        assert not os.path.exists(tmp_path / 'none')
        return
    # noise has no face: the photo comes back unchanged, as RGB
    got = read_image(str(out / os.path.basename(path)))
    np.testing.assert_array_equal(got, expected_rgb(kind))


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_make_figures_sr_compare(tmp_path, kind, capsys):
    """--hr is the ``kind`` file, --lr a good half-size image."""
    hr = write_kind(str(tmp_path / f'hr_{kind}'), kind)
    lr = str(tmp_path / 'lr.png')
    cv2.imwrite(lr, good_rgb(12, 12, 3))
    cfg, weights = fake_model(tmp_path, NearestX2ForTests)
    fig = tmp_path / 'fig.png'
    argv = ['sr-compare', '-c', cfg, '--weights', weights, '--hr', hr,
            '--lr', lr, '--out', str(fig)]
    if kind in BAD_KINDS or kind == 'one_pixel':
        assert exit_code(make_figures.main, argv) == 2
        err = capsys.readouterr().err
        assert err.startswith('error: ') and os.path.basename(hr) in err
        assert 'Traceback' not in err and not fig.exists()
        return
    make_figures.main(argv)
    assert read_image(str(fig)).shape == (24, 4 * 24, 3)


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    """Outputs are written to a hidden temporary name, then renamed."""
    def crash_midway(path, img):
        open(path, 'wb').write(b'\x89PNG partial')
        raise KeyboardInterrupt
    monkeypatch.setattr(image_files.cv2, 'imwrite', crash_midway)
    with pytest.raises(KeyboardInterrupt):
        write_image(str(tmp_path / 'x.png'), good_rgb())
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(image_files.cv2, 'imwrite', lambda p, i: False)
    with pytest.raises(OSError, match='x.png: could not write image'):
        write_image(str(tmp_path / 'x.png'), good_rgb())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('kind', BAD_KINDS)
def test_training_stops_with_one_line_naming_the_file(tmp_path, kind):
    """tools/main.py on configs/esrgan_psnr_x4_demo.yaml (SRFolderDataset +
    ReadImage): a bad LR file ends the run with ``error: <file>: ...``, also
    when it is only found mid-training (Paddle's loader used to hang)."""
    lq, gt = tmp_path / 'lq', tmp_path / 'gt'
    lq.mkdir()
    gt.mkdir()
    cv2.imwrite(str(lq / 'a.png'), good_rgb(24, 24, 1))
    path = write_kind(str(lq / f'z_{kind}'), kind, size=24)
    for name in ('a.png', os.path.basename(path)):
        cv2.imwrite(str(gt / name), good_rgb(96, 96, 2))
    folders = [f'dataset.{s}.{k}_folder={d}' for s in ('train', 'test')
               for k, d in (('lq', lq), ('gt', gt))]
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'main.py'), '-c',
         os.path.join(ROOT, 'configs', 'esrgan_psnr_x4_demo.yaml'), '-o',
         'total_iters=2', 'enable_visualdl=false',
         'dataset.train.batch_size=2', f'output_dir={tmp_path / "run"}',
         *folders], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {path}: ')
    assert 'Traceback' not in proc.stdout + proc.stderr
