"""FaceDetector on real photos: counts, landmarks, NMS, options, and the
cascade fallback when dlib cannot be imported."""
import subprocess
import sys

import numpy as np
import pytest
import skimage.data

import ppgan_ext  # noqa: F401
from ppgan_ext.faceutils import (FaceBox, FaceDetector, FaceDetectorError,
                                 available_backends, detector, nms)
from ppgan_ext.faceutils.recognition import landmarks68
from tests.real_faces import (ASTRONAUT_FACE, GRACE_HOPPER_FACE, astronaut,
                              grace_hopper, group_photo, lfw_face)


def _contains(face, xy):
    x, y = xy
    return (face.left <= x < face.left + face.size and
            face.top <= y < face.top + face.size)


@pytest.fixture(scope='module')
def group():
    return group_photo()


def _score(faces, centres):
    """(faces found, duplicates, false positives) against true centres."""
    per_face = [[f for f in faces if _contains(f, c)] for c in centres]
    false = [f for f in faces if not any(_contains(f, c) for c in centres)]
    return (sum(bool(h) for h in per_face),
            sum(len(h) > 1 for h in per_face), false)


def test_one_face_per_portrait_and_none_in_other_photos():
    assert available_backends()[:2] == ['dlib-hog', 'dlib-cnn']
    det = FaceDetector()
    assert det.backend == 'dlib-hog'
    for img, centre in ((astronaut(), ASTRONAUT_FACE),
                        (grace_hopper(), GRACE_HOPPER_FACE)):
        faces = det.detect(img)
        assert len(faces) == 1 and _contains(faces[0], centre)
        assert not faces[0].estimated and faces[0].score > 1.0
    # the astronaut's mission patch is a weak hit, dropped by min_score
    assert len(FaceDetector(min_score=0.0).detect(astronaut())) == 2
    for img in (skimage.data.coffee(), skimage.data.chelsea(),
                skimage.data.rocket()):
        assert det.detect(img) == []


def test_group_photo_nearly_every_face_once(group):
    img, centres = group
    found, dups, false = _score(FaceDetector().detect(img), centres)
    assert found >= len(centres) - 4, (found, len(centres))
    assert dups == 0 and false == []
    # the cascade fallback finds far fewer on the same photo
    c_found, c_dups, _ = _score(FaceDetector('cascade').detect(img), centres)
    assert c_dups == 0 and c_found <= found - 6, (c_found, found)


def test_landmarks_are_where_eyes_and_nose_are():
    for img in (astronaut(), grace_hopper()):
        face = FaceDetector().detect(img)[0]
        p = face.points
        right_eye, left_eye, nose = p[0:2].mean(0), p[2:4].mean(0), p[4]
        # image-left eye left of the nose left of the image-right eye
        assert left_eye[0] < nose[0] < right_eye[0]
        # eyes above the nose, inside the box
        assert max(left_eye[1], right_eye[1]) < nose[1]
        assert all(_contains(face, q) for q in p)
        lm = landmarks68(img, face)
        eyes, nose68, mouth = lm[36:48, 1].mean(), lm[27:36, 1].mean(), \
            lm[48:68, 1].mean()
        chin = lm[8, 1]
        assert eyes < nose68 < mouth < chin
        # the 5-point model's corners are the 68-point model's corners
        np.testing.assert_allclose(p[[2, 3, 1, 0]], lm[[36, 39, 42, 45]],
                                   atol=0.06 * face.size)


def test_nms_keeps_one_box_per_face():
    big = FaceBox(100, 100, 100, score=1.0)
    tight = FaceBox(125, 125, 50, score=1.5)  # inside big (IoU 0.25): same face
    shifted = FaceBox(110, 105, 100, score=0.5)    # IoU 0.8 with big
    other = FaceBox(100, 230, 100, score=0.3)      # a neighbour
    kept = nms([big, tight, shifted, other])
    assert kept == [tight, other]


def test_min_face_and_max_faces(group):
    img, centres = group
    all_faces = FaceDetector().detect(img)
    sizes = [f.size for f in all_faces]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    top3 = FaceDetector(max_faces=3).detect(img)
    assert top3 == all_faces[:3]
    big = FaceDetector(min_face=120).detect(img)
    assert big and all(f.size >= 100 for f in big)
    assert len(big) < len(all_faces)


def test_cnn_backend_on_a_small_photo():
    # MMOD is slow on a CPU: a 200 px crop of the astronaut, faces >= 80 px
    crop = np.ascontiguousarray(astronaut()[20:220, 120:320])
    faces = FaceDetector('dlib-cnn', min_face=80).detect(crop)
    assert len(faces) == 1
    assert _contains(faces[0], (ASTRONAUT_FACE[0] - 120,
                                ASTRONAUT_FACE[1] - 20))


def test_fallback_without_dlib(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'dlib', None)  # import dlib fails
    monkeypatch.setattr(detector, '_noted_fallback', False)
    det = FaceDetector()
    assert det.backend in ('opencv', 'skimage')
    faces = det.detect(astronaut())
    assert len(faces) == 1 and faces[0].estimated
    assert _contains(faces[0], ASTRONAUT_FACE)
    FaceDetector()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'dlib is not installed' in err[0]
    assert 'pip install dlib-bin face_recognition_models' in err[0]
    # asked for by name, dlib's backends say what is missing
    with pytest.raises(FaceDetectorError, match="'dlib-hog'.*pip install"):
        FaceDetector('dlib-hog')
    assert available_backends() == [det.backend]


def test_import_ppgan_ext_does_not_load_dlib():
    code = ('import sys, ppgan_ext, ppgan_ext.faceutils, ppgan_ext.errors; '
            'print("dlib" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == 'False'


def test_bad_arguments_name_themselves():
    with pytest.raises(FaceDetectorError, match="backend 'dlib'"):
        FaceDetector(backend='dlib')
    with pytest.raises(FaceDetectorError, match='min_face=0'):
        FaceDetector(min_face=0)
    with pytest.raises(ValueError, match='uint8'):
        FaceDetector().detect(lfw_face(0, 64).astype(np.float32))
