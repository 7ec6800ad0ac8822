"""The alignment templates: FFHQ's crop recipe, and the 'ffhq' template
re-derived from real faces."""
import numpy as np

import ppgan_ext  # noqa: F401
from ppgan_ext.faceutils import TEMPLATES, FaceDetector
from ppgan_ext.faceutils.template import (derive_template, ffhq_square,
                                          mirror, unit_coordinates)
from tests.real_faces import astronaut, grace_hopper, lfw_face


def _upright_face(eye_dist, mouth_drop):
    """68 landmarks of an ideal upright face: only the points FFHQ's recipe
    reads are placed (eyes 36-47, mouth corners 48 and 54)."""
    lm = np.zeros((68, 2))
    lm[36:42] = (100 - eye_dist / 2, 200)
    lm[42:48] = (100 + eye_dist / 2, 200)
    lm[48] = (80, 200 + mouth_drop)
    lm[54] = (120, 200 + mouth_drop)
    return lm


def test_ffhq_square_follows_the_recipe():
    # eye distance rules the size when 2 * d > 1.8 * m
    sq = ffhq_square(_upright_face(40, 40))
    centre = np.array([100, 200 + 0.1 * 40])
    np.testing.assert_allclose(sq.mean(0), centre)
    np.testing.assert_allclose(sq[0], centre - 80)        # half side 2 * 40
    np.testing.assert_allclose(sq[2], centre + 80)
    # else the eye-to-mouth distance
    sq = ffhq_square(_upright_face(40, 60))
    np.testing.assert_allclose(sq[1] - sq[0], [2 * 1.8 * 60, 0])
    # the eyes land at fixed unit positions, level
    eyes = unit_coordinates(ffhq_square(_upright_face(40, 40)),
                            [[80, 200], [120, 200]])
    np.testing.assert_allclose(eyes, [[0.375, 0.475], [0.625, 0.475]])
    # turned faces give the same unit coordinates
    a = np.deg2rad(30)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    lm = _upright_face(40, 40) @ rot.T
    np.testing.assert_allclose(
        unit_coordinates(ffhq_square(lm), np.array([[80, 200], [120, 200]])
                         @ rot.T), eyes, atol=1e-9)


def test_mirror_makes_the_template_symmetric():
    t = mirror(np.array([[0.7, 0.5], [0.6, 0.52], [0.32, 0.48], [0.43, 0.5],
                         [0.52, 0.66]]))
    np.testing.assert_allclose(t[0, 0] + t[2, 0], 1.0)
    np.testing.assert_allclose(t[4], [0.5, 0.66])
    np.testing.assert_allclose(t[0, 1], t[2, 1])


def test_ffhq_template_is_what_real_faces_give():
    faces = [astronaut(), grace_hopper()] + [lfw_face(i, 200)
                                             for i in range(40)]
    derived, n = derive_template(faces, FaceDetector('dlib-hog'))
    assert n >= 30
    np.testing.assert_allclose(derived, TEMPLATES['ffhq'], atol=0.01)
    # eye centres where FFHQ has them (the 5-point eye-centre template of
    # GFPGAN-era tools: (0.377, 0.469), (0.623, 0.469))
    eyes = np.stack([TEMPLATES['ffhq'][2:4].mean(0),
                     TEMPLATES['ffhq'][0:2].mean(0)])
    np.testing.assert_allclose(eyes, [[0.377, 0.469], [0.623, 0.469]],
                               atol=0.008)
    # the tight template: ffhq magnified 1.4x, eyes higher in the crop
    celeba = TEMPLATES['celeba']
    np.testing.assert_allclose(
        np.ptp(celeba[:, 0]), 1.4 * np.ptp(TEMPLATES['ffhq'][:, 0]))
    assert 0.35 < celeba[0, 1] < 0.37 and 0.6 < celeba[4, 1] < 0.63
