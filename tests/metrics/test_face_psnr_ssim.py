import math

import cv2
import numpy as np
import paddle
import pytest
from skimage.metrics import structural_similarity

import ppgan_ext  # noqa: F401  (applies the Paddle shim before ppgan)
from ppgan.metrics.builder import METRICS, build_metric
from ppgan.metrics.psnr_ssim import PSNR, SSIM
from ppgan_ext.metrics.face_psnr_ssim import (FacePSNR, FaceSSIM, face_psnr,
                                              face_ssim, rgb_to_y_uint8)

C1, C2 = (0.01 * 255)**2, (0.03 * 255)**2


def gray(value, size=(16, 16)):
    return np.full(size + (3, ), value, dtype=np.uint8)


def textured_pair(rng, shape, noise=40, blur=False):
    a = rng.integers(0, 256, shape + (3, ), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-noise, noise, a.shape), 0,
                255).astype(np.uint8)
    if blur:
        a = cv2.GaussianBlur(a, (7, 7), 3)
        b = cv2.GaussianBlur(b, (5, 5), 2)
    return a, b


def test_y_is_matlab_luma_truncated_not_rounded():
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 0, 0],
                        [255, 255, 255], [100, 100, 100]]], dtype=np.uint8)
    # 16 + 65.481 = 81.48, 16 + 128.553 = 144.55, 16 + 24.966 = 40.97,
    # 16, 16 + 219 = 235, 16 + 100 * 219 / 255 = 101.88 (rounding gives 102)
    np.testing.assert_array_equal(rgb_to_y_uint8(pixels),
                                  [[81, 144, 40, 16, 235, 101]])
    assert rgb_to_y_uint8(pixels).dtype == np.uint8


def test_identical_images_give_inf_psnr_and_unit_ssim():
    img = np.random.default_rng(0).integers(0, 256, (24, 20, 3), np.uint8)
    assert face_psnr(img, img) == float('inf')
    assert face_ssim(img, img) == pytest.approx(1.0, abs=1e-12)


def test_psnr_of_known_uniform_offset():
    rng = np.random.default_rng(1)
    # grey levels 0/85/170 have exact lumas 16/89/162; +85 moves each by 73
    levels = rng.choice([0, 85, 170], size=(20, 24)).astype(np.uint8)
    a = np.repeat(levels[..., None], 3, axis=2)
    b = a + 85
    assert face_psnr(a, b) == pytest.approx(20 * math.log10(255 / 73),
                                            abs=1e-12)
    assert face_psnr(b, a) == face_psnr(a, b)


def test_psnr_counts_truncated_luma_difference():
    # grey 100 -> Y 101, grey 110 -> Y 110: a difference of 9, not 8.59
    assert face_psnr(gray(100), gray(110)) == pytest.approx(
        10 * math.log10(255**2 / 81), abs=1e-12)


def test_ssim_of_flat_images_is_the_luminance_term():
    # zero variances and covariance leave (2 m1 m2 + C1) / (m1^2 + m2^2 + C1)
    m1, m2 = 101.0, 110.0
    expected = (2 * m1 * m2 + C1) / (m1**2 + m2**2 + C1)
    assert face_ssim(gray(100), gray(110)) == pytest.approx(expected,
                                                            abs=1e-12)


@pytest.mark.parametrize('shape', [(11, 11), (16, 20), (37, 53), (64, 64)])
@pytest.mark.parametrize('blur', [False, True])
def test_ssim_matches_skimage_on_the_same_y(shape, blur):
    # Same float64 formula; only the separable filter's summation order
    # differs from scipy.ndimage.gaussian_filter (measured <= 1e-13).
    a, b = textured_pair(np.random.default_rng(sum(shape)), shape, blur=blur)
    expected = structural_similarity(rgb_to_y_uint8(a), rgb_to_y_uint8(b),
                                     gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False,
                                     data_range=255)
    assert face_ssim(a, b) == pytest.approx(expected, abs=1e-12)


def test_psnr_matches_ppgan_psnr_on_integer_y():
    # ppgan's Y PSNR uses unrounded Y; on lumas that are exact integers
    # (grey levels multiple of 85) both must agree.
    rng = np.random.default_rng(2)
    a = np.repeat(rng.choice([0, 85, 170, 255], (16, 16))[..., None], 3,
                  2).astype(np.uint8)
    b = np.repeat(rng.choice([0, 85, 170, 255], (16, 16))[..., None], 3,
                  2).astype(np.uint8)
    ref = PSNR(crop_border=0, test_y_channel=True)
    ref.update([a], [b])
    assert face_psnr(a, b) == pytest.approx(ref.accumulate(), abs=1e-3)


def test_crop_border_drops_edges():
    a = gray(100, (20, 20))
    b = a.copy()
    b[:2] = 0  # differs only inside a 2-pixel border
    assert face_psnr(a, b) < 100
    assert face_psnr(a, b, crop_border=2) == float('inf')


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='same shape'):
        face_psnr(gray(0, (8, 8)), gray(0, (8, 9)))
    with pytest.raises(ValueError, match='HxWx3'):
        face_psnr(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match='at least 11x11'):
        face_ssim(gray(0, (10, 30)), gray(0, (10, 30)))
    with pytest.raises(ValueError, match='crop_border'):
        FacePSNR(crop_border=-1)


def test_registered_without_shadowing_ppgan():
    assert METRICS.get('FacePSNR') is FacePSNR
    assert METRICS.get('FaceSSIM') is FaceSSIM
    assert METRICS.get('PSNR') is PSNR and METRICS.get('SSIM') is SSIM
    metric = build_metric({'name': 'FaceSSIM', 'crop_border': 0})
    assert isinstance(metric, FaceSSIM) and metric.name() == 'FaceSSIM'


def test_metric_averages_per_image_scores():
    rng = np.random.default_rng(3)
    pairs = [textured_pair(rng, (16, 16), blur=True) for _ in range(3)]
    psnr, ssim = FacePSNR(), FaceSSIM()
    for metric in (psnr, ssim):
        metric.update([p for p, _ in pairs[:2]], [g for _, g in pairs[:2]])
        metric.update(pairs[2][0], pairs[2][1])  # a single image works too
    assert psnr.accumulate() == pytest.approx(
        np.mean([face_psnr(p, g) for p, g in pairs]), abs=1e-12)
    assert ssim.accumulate() == pytest.approx(
        np.mean([face_ssim(p, g) for p, g in pairs]), abs=1e-12)
    psnr.reset()
    assert psnr.accumulate() == 0.0


def test_sequence_counts_as_one_sample():
    rng = np.random.default_rng(4)
    seq = [textured_pair(rng, (16, 16)) for _ in range(4)]
    single = textured_pair(rng, (16, 16))
    metric = FacePSNR()
    metric.update([p for p, _ in seq], [g for _, g in seq], is_seq=True)
    metric.update([single[0]], [single[1]])
    seq_mean = np.mean([face_psnr(p, g) for p, g in seq])
    assert metric.accumulate() == pytest.approx(
        (seq_mean + face_psnr(*single)) / 2, abs=1e-12)


def test_accumulate_all_reduces_sums_and_counts(monkeypatch):
    rng = np.random.default_rng(5)
    a, b = textured_pair(rng, (16, 16))
    c, d = textured_pair(rng, (16, 16))
    metric = FacePSNR()
    metric.update([a], [b])

    def fake_all_reduce(tensor, *args, **kwargs):
        # the other rank holds one image scoring face_psnr(c, d)
        tensor.set_value(tensor + paddle.to_tensor(
            np.array([face_psnr(c, d), 1.0])))

    monkeypatch.setattr(paddle.distributed, 'get_world_size', lambda: 2)
    monkeypatch.setattr(paddle.distributed, 'all_reduce', fake_all_reduce)
    assert metric.accumulate() == pytest.approx(
        (face_psnr(a, b) + face_psnr(c, d)) / 2, abs=1e-9)
