"""Alignment to the templates and paste-back by the inverse warp, on real
photos (the astronaut, Grace Hopper) turned by known angles."""
import cv2
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.faceutils import (FaceBox, FaceDetector, align_face,
                                 crop_face, feather_mask, fit_similarity,
                                 paste_faces, template_points)
from ppgan_ext.metrics.face_psnr_ssim import face_psnr
from tests.real_faces import (ASTRONAUT_FACE, GRACE_HOPPER_FACE, astronaut,
                              grace_hopper, rotated)


def _eyes(points):
    """Centres of the (image-right, image-left) eyes of 5 landmarks."""
    return points[0:2].mean(0), points[2:4].mean(0)


def _apply(m, pts):
    return np.asarray(pts, np.float64) @ np.asarray(m)[:, :2].T + \
        np.asarray(m)[:, 2]


def test_fit_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    a = 1.7 * np.exp(1j * np.deg2rad(33))
    m = np.array([[a.real, -a.imag, 12.0], [a.imag, a.real, -4.0]])
    np.testing.assert_allclose(fit_similarity(src, _apply(m, src)), m,
                               atol=1e-9)
    # least squares: noise moves it only a little
    noisy = _apply(m, src) + rng.normal(0, 0.5, (5, 2))
    fit = fit_similarity(src, noisy)
    np.testing.assert_allclose(fit[:, :2], m[:, :2], atol=0.02)
    np.testing.assert_allclose(fit[:, 2], m[:, 2], atol=2)
    # weights: a point with weight 0 does not count
    moved = _apply(m, src)
    moved[4] += 40
    np.testing.assert_allclose(fit_similarity(src, moved, [1, 1, 1, 1, 0]),
                               m, atol=1e-9)


@pytest.mark.parametrize('photo,centre,angle', [
    (astronaut, ASTRONAUT_FACE, 25), (astronaut, ASTRONAUT_FACE, -30),
    (grace_hopper, GRACE_HOPPER_FACE, 18)])
def test_aligned_crop_of_a_turned_face_has_level_eyes(photo, centre, angle):
    img = photo()
    det = FaceDetector()
    upright = det.detect(img)[0].points
    upright_crop, to_upright = align_face(img, upright, 512, 'ffhq')
    turned, m = rotated(img, centre, angle, 0.8, (420, 420))
    faces = det.detect(turned)
    assert len(faces) == 1
    r0, l0 = _eyes(faces[0].points)
    assert abs(r0[1] - l0[1]) > 10  # turned: far from level
    crop, to_crop = align_face(turned, faces[0].points, 512, 'ffhq')
    # in the crop the eyes are level and where the template has them
    right, left = _eyes(_apply(to_crop, faces[0].points))
    assert abs(right[1] - left[1]) <= 2.0, (right, left)
    t_right, t_left = _eyes(template_points('ffhq', 512))
    assert np.abs(right - t_right).max() <= 6 and \
        np.abs(left - t_left).max() <= 6
    # the rotation is undone: the upright photo's landmarks, turned by the
    # known angle and then aligned, land where aligning the upright photo
    # puts them (up to the landmark model's jitter between two photos)
    np.testing.assert_allclose(_apply(to_crop, _apply(m, upright)),
                               _apply(to_upright, upright), atol=5)
    mid = slice(128, 384)  # the crop's middle: the face
    psnr = face_psnr(crop[mid, mid], upright_crop[mid, mid])
    # a crop that only centres and scales (landmarks from the box, as the
    # cascade fallback does) keeps the tilt
    f = faces[0]
    boxed, _ = align_face(turned, FaceBox(f.top, f.left, f.size).points, 512,
                          'ffhq')
    unturned = face_psnr(boxed[mid, mid], upright_crop[mid, mid])
    assert psnr > 22 and psnr > unturned + 4, (psnr, unturned)


def test_templates_frame_the_face_at_any_size():
    img = astronaut()
    pts = FaceDetector().detect(img)[0].points
    big, m_big = align_face(img, pts, 512, 'celeba')
    small, m_small = align_face(img, pts, 128, 'celeba')
    # pixel centres: 128-crop pixel p is 512-crop pixel 4 (p + 0.5) - 0.5
    to_big = np.array([[4, 0, 1.5], [0, 4, 1.5], [0, 0, 1]])
    np.testing.assert_allclose(np.vstack([m_big, [0, 0, 1]]),
                               to_big @ np.vstack([m_small, [0, 0, 1]]),
                               atol=1e-9)
    # the same framing: the 512 crop shrunk equals the 128 crop
    shrunk = cv2.resize(big, (128, 128), interpolation=cv2.INTER_AREA)
    assert face_psnr(shrunk, small) > 30
    # celeba is ffhq's middle, magnified 1.4x
    ffhq, _ = align_face(img, pts, 512, 'ffhq')
    assert face_psnr(shrunk, cv2.resize(ffhq, (128, 128),
                                        interpolation=cv2.INTER_AREA)) < 20
    with pytest.raises(ValueError, match="template 'vgg'"):
        align_face(img, pts, 128, 'vgg')


def test_paste_back_restores_the_face_and_leaves_the_rest():
    img = astronaut()
    face = FaceDetector().detect(img)[0]
    crop, m = align_face(img, face.points, 512, 'ffhq')
    # the unchanged crop pasted back gives the photo back
    same, alpha = paste_faces(img, [(crop, m)], return_alpha=True)
    np.testing.assert_array_equal(same[alpha == 0], img[alpha == 0])
    inside = alpha == 1
    assert inside.sum() > 0.5 * face.size ** 2
    assert np.abs(same[inside].astype(int) - img[inside]).mean() < 3.0
    # an inverted crop lands exactly where the face is
    out, alpha = paste_faces(img, [(255 - crop, m)], return_alpha=True)
    np.testing.assert_array_equal(out[alpha == 0], img[alpha == 0])
    diff = np.abs(out[inside].astype(int) - (255 - img[inside].astype(int)))
    assert diff.mean() < 3.0
    cy, cx = int(ASTRONAUT_FACE[1]), int(ASTRONAUT_FACE[0])
    assert inside[cy, cx]
    # the mask only reaches around the face, not the whole photo
    assert 0.05 < (alpha > 0).mean() < 0.6


def test_paste_back_into_an_upscaled_photo():
    img = grace_hopper()
    face = FaceDetector().detect(img)[0]
    crop, m = align_face(img, face.points, 128, 'celeba')
    bg = cv2.resize(img, (img.shape[1] * 3, img.shape[0] * 3),
                    interpolation=cv2.INTER_CUBIC)
    out, alpha = paste_faces(bg, [(255 - crop, m)], scale=3,
                             return_alpha=True)
    assert out.shape == bg.shape
    np.testing.assert_array_equal(out[alpha == 0], bg[alpha == 0])
    inside = alpha == 1
    diff = np.abs(out[inside].astype(int) - (255 - bg[inside].astype(int)))
    assert diff.mean() < 12  # 128 px crop vs a 3x photo: softer, same place
    cy, cx = (int(3 * GRACE_HOPPER_FACE[1]), int(3 * GRACE_HOPPER_FACE[0]))
    assert inside[cy, cx]


def test_paste_back_maps_pixel_centres_exactly():
    """A ramp crop (value = 3 x crop coordinate) pasted 4x: every fully
    covered output pixel shows the crop coordinate its centre maps to."""
    side, k = 64, 4
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    crop = np.stack([3 * xs, 3 * ys, np.zeros_like(xs)], axis=2)
    matrix = np.array([[1.0, 0, -10], [0, 1.0, -20]])  # photo -> crop
    out, alpha = paste_faces(np.zeros((100 * k, 100 * k, 3), np.uint8),
                             [(crop, matrix)], scale=k, return_alpha=True)
    yy, xx = np.nonzero(alpha == 1)
    # output pixel centre -> photo pixel -> crop pixel
    want_x = 3 * (((xx + 0.5) / k - 0.5) - 10)
    want_y = 3 * (((yy + 0.5) / k - 0.5) - 20)
    assert len(xx) > 1000
    assert np.abs(out[yy, xx, 0] - want_x).max() <= 0.6
    assert np.abs(out[yy, xx, 1] - want_y).max() <= 0.6


def test_paste_back_at_the_photo_edge():
    img = astronaut()[60:, 200:]  # the face cut at the left and top
    face = FaceDetector(min_face=30).detect(img)[0]
    crop, m = align_face(img, face.points, 256, 'ffhq')
    out, alpha = paste_faces(img, [(255 - crop, m)], return_alpha=True)
    np.testing.assert_array_equal(out[alpha == 0], img[alpha == 0])
    assert alpha[0, 0] > 0  # reaches the corner: the crop overhangs it


def test_crop_face_pads_outside_the_image():
    img = np.full((50, 50, 3), 200, np.uint8)
    crop, (top, left, side) = crop_face(img, FaceBox(0, 0, 20), margin=0.5)
    assert side == 40 and (top, left) == (-10, -10)
    assert crop[:10].max() == 0 and crop[10:, 10:].min() == 200
    resized, _ = crop_face(img, FaceBox(10, 10, 20), size=16)
    assert resized.shape == (16, 16, 3)


def test_feather_mask_shape_and_ramp():
    m = feather_mask(20, 0.2)
    assert m.shape == (20, 20)
    assert m[10, 10] == 1.0 and m[0, 0] < 0.2
    np.testing.assert_allclose(m, m.T)
