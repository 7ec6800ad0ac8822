"""tools/prepare_faces.py and the face detector / crop helpers."""
import importlib.util
import json
import os

import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.datasets.face_detect import (FaceBox, FaceDetector, crop_face,
                                            available_backends)
from ppgan_ext.datasets.image_io import read_image
from ppgan_ext.datasets.pairs_writer import write_image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'prepare_faces_tool', os.path.join(ROOT, 'tools', 'prepare_faces.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_detector_finds_the_astronaut_face_only():
    import skimage.data
    assert available_backends()
    boxes = FaceDetector().detect(skimage.data.astronaut())
    assert len(boxes) >= 1
    face = boxes[0]
    # the face is around rows 70-160, columns 180-270 of the 512x512 photo
    assert 50 <= face.top <= 90 and 160 <= face.left <= 200
    assert 80 <= face.size <= 120
    assert FaceDetector().detect(skimage.data.coffee()) == []


def test_prepare_faces_reports_and_skips(tmp_path, capsys):
    import skimage.data
    src, out = tmp_path / 'photos', tmp_path / 'faces'
    write_image(str(src / 'astronaut.png'), skimage.data.astronaut())
    write_image(str(src / 'coffee.png'), skimage.data.coffee())
    (src / 'notes.txt').write_text('not a photo')
    (src / 'broken.jpg').write_bytes(b'\xff\xd8\xff garbage')
    rc = load_tool().main(['--input', str(src), '--out', str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert os.listdir(out) == ['astronaut.png']
    assert read_image(str(out / 'astronaut.png')).shape == (128, 128, 3)
    assert 'no face found in' in text and 'coffee.png' in text
    assert 'notes.txt' in text and 'broken.jpg' in text
    assert ('4 file(s): 2 image(s) read, 1 face(s) written, 1 without a '
            'face, 2 unreadable') in text


def test_already_cropped_only_resizes(tmp_path, capsys):
    src, out = tmp_path / 'crops', tmp_path / 'out'
    img = np.random.RandomState(0).randint(0, 255, (40, 30, 3), np.uint8)
    write_image(str(src / 'f.png'), img)
    rc = load_tool().main(['--input', str(src), '--out', str(out), '--size',
                           '32', '--already-cropped'])
    assert rc == 0
    assert read_image(str(out / 'f.png')).shape == (32, 32, 3)


def test_nothing_found_is_exit_code_1(tmp_path, capsys):
    src = tmp_path / 'x'
    (src).mkdir()
    (src / 'a.txt').write_text('x')
    assert load_tool().main(['--input', str(src), '--out',
                             str(tmp_path / 'o')]) == 1
    assert load_tool().main(['--input', str(tmp_path / 'missing'), '--out',
                             str(tmp_path / 'o')]) == 2
    assert 'missing' in capsys.readouterr().err


def test_crop_face_pads_outside_the_image():
    img = np.full((50, 50, 3), 200, np.uint8)
    crop, (top, left, side) = crop_face(img, FaceBox(0, 0, 20), margin=0.5)
    assert side == 40 and (top, left) == (-10, -10)
    assert crop[:10].max() == 0 and crop[10:, 10:].min() == 200
    resized, _ = crop_face(img, FaceBox(10, 10, 20), size=16)
    assert resized.shape == (16, 16, 3)


def test_bad_backend_names_it():
    with pytest.raises(ValueError, match='backend'):
        FaceDetector(backend='dlib')


def test_demo_faces_layout(tmp_path):
    from ppgan_ext.datasets.demo_faces_sr import build_demo_faces
    out = build_demo_faces(str(tmp_path), log=lambda *a: None)
    train, test = (sorted(os.listdir(os.path.join(out, s)))
                   for s in ('train', 'test'))
    assert len(train) == 90 and len(test) == 11
    assert 'astronaut.png' in test and not set(train) & set(test)
    assert sorted(os.listdir(os.path.join(out, 'test_LR'))) == test
    assert read_image(os.path.join(out, 'test', 'astronaut.png')).shape == \
        (128, 128, 3)
    assert read_image(os.path.join(out, 'test_LR', 'lfw_090.png')).shape == \
        (16, 16, 3)
    with open(os.path.join(out, 'built_from.json')) as f:
        assert json.load(f)['lfw_train'] == 90
    # a second call finds it built
    msgs = []
    build_demo_faces(str(tmp_path), log=msgs.append)
    assert msgs == [f'{out}: already built']
