"""tools/prepare_faces.py: box crops, aligned crops (read by the face
datasets), reports of faceless and bad files, the demo face set."""
import importlib.util
import json
import os

import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.io.images import read_image, write_image
from ppgan_ext.faceutils import FaceDetector, template_points
from tests.real_faces import astronaut, grace_hopper, group_photo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'prepare_faces_tool', os.path.join(ROOT, 'tools', 'prepare_faces.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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


def test_bad_backend_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        load_tool().main(['--input', str(tmp_path), '--out', str(tmp_path),
                          '--backend', 'dlib'])
    assert e.value.code == 2
    assert "invalid choice: 'dlib'" in capsys.readouterr().err
    assert load_tool().main(['--input', str(tmp_path), '--out',
                             str(tmp_path), '--align',
                             '--already-cropped']) == 2
    assert capsys.readouterr().err == \
        'error: --align and --already-cropped exclude each other\n'


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    import skimage.data
    src = tmp_path_factory.mktemp('photos')
    write_image(str(src / 'astronaut.png'), astronaut())
    write_image(str(src / 'grace.jpg'), grace_hopper())
    write_image(str(src / 'group.png'), group_photo()[0])
    write_image(str(src / 'coffee.png'), skimage.data.coffee())
    return src


@pytest.mark.parametrize('size,template', [(128, 'celeba'), (512, 'ffhq')])
def test_align_writes_aligned_crops_the_datasets_read(photos, tmp_path,
                                                      capsys, size, template):
    from ppgan_ext.datasets.face_sr_dataset import FaceSRDataset
    from ppgan_ext.datasets.ffhq_degradation_dataset import \
        FFHQDegradationDataset
    out = tmp_path / 'aligned'
    rc = load_tool().main(['--input', str(photos), '--out', str(out),
                           '--align', '--size', str(size)])
    text = capsys.readouterr().out
    assert rc == 0
    assert sorted(os.listdir(out)) == ['astronaut.png', 'grace.png',
                                       'group.png']
    assert 'no face found in' in text and 'coffee.png' in text
    assert '4 file(s): 4 image(s) read, 3 face(s) written, 1 without a ' \
        'face, 0 unreadable' in text
    # the eyes are where the template puts them
    want = template_points(template, size)
    for name in ('astronaut.png', 'grace.png'):
        crop = read_image(str(out / name))
        assert crop.shape == (size, size, 3)
        faces = FaceDetector(min_face=size // 4).detect(crop)
        assert len(faces) == 1
        eyes = faces[0].points[:4]
        assert np.abs(eyes - want[:4]).max() < 0.02 * size, name
    # both face datasets read the folder as it is
    sr = FaceSRDataset(str(out), gt_size=128, scale=8)
    item = sr[0]
    assert item['gt'].shape == (3, 128, 128) and len(sr) == 3
    hd = FFHQDegradationDataset(str(out), size=size, seed=0, gray_prob=0)
    item = hd[1]
    assert item['gt'].shape == item['lq'].shape == (3, size, size)
    assert item['gt_path'].endswith('grace.png') and len(hd) == 3
    np.testing.assert_allclose(  # the crop itself is the HQ face
        item['gt'], read_image(str(out / 'grace.png')).transpose(
            2, 0, 1) / 127.5 - 1, atol=1e-6)


def test_max_faces_from_a_group_photo(photos, tmp_path, capsys):
    out = tmp_path / 'group'
    rc = load_tool().main(['--input', str(photos / 'group.png'), '--out',
                           str(out), '--align', '--max-faces', '30'])
    assert rc == 0
    written = os.listdir(out)
    assert len(written) >= 20 and 'group.png' in written
    assert 'group_face1.png' in written
    assert f'{len(written)} face(s) written' in capsys.readouterr().out


def test_demo_faces_layout(tmp_path):
    from ppgan_ext.prepare.demo_faces_sr import build_demo_faces
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
