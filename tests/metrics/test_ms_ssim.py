import cv2
import numpy as np
import paddle
import pytest
from skimage.metrics import structural_similarity

import ppgan_ext  # noqa: F401  (applies the Paddle shim before ppgan)
from ppgan.metrics.builder import METRICS, build_metric
from ppgan_ext.metrics.ms_ssim import (MS_SSIM_WEIGHTS, MSSSIMDiversity,
                                       ms_ssim, ms_ssim_batch, num_scales)


def smooth_gray(rng, size, sigma=2.0):
    img = rng.integers(0, 256, size).astype(np.uint8)
    return cv2.GaussianBlur(img, (0, 0), sigma).astype(np.float64)


def add_noise(rng, img, sd):
    return np.clip(img + rng.normal(0, sd, img.shape), 0, 255)


def skimage_ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=255)


def test_identical_images_score_one():
    img = smooth_gray(np.random.default_rng(0), (200, 190))
    assert num_scales(200, 190) == 5
    assert ms_ssim(img, img) == pytest.approx(1.0, abs=1e-12)
    rgb = np.random.default_rng(1).integers(0, 256, (48, 40, 3), np.uint8)
    assert ms_ssim(rgb, rgb) == pytest.approx(1.0, abs=1e-12)


def test_decreases_with_noise():
    rng = np.random.default_rng(2)
    img = smooth_gray(rng, (180, 180))
    scores = [ms_ssim(img, add_noise(rng, img, sd)) for sd in (2, 8, 20, 50)]
    assert all(a > b for a, b in zip(scores, scores[1:]))
    assert scores[0] > 0.9 and scores[-1] < 0.6


def test_single_scale_is_skimage_ssim():
    # one scale with weight 1 is plain Gaussian SSIM; skimage filters with
    # padding and crops the 5-pixel strip, i.e. the same 'valid' region
    rng = np.random.default_rng(3)
    img = smooth_gray(rng, (40, 52))
    for sd in (5, 30):
        noisy = add_noise(rng, img, sd)
        assert ms_ssim(img, noisy, weights=(1.0, )) == pytest.approx(
            skimage_ssim(img, noisy), abs=1e-12)


def test_second_scale_uses_2x2_averages():
    # weights (0, 1): cs at scale 1 counts for nothing, leaving SSIM of the
    # 2x2-averaged images (odd sizes repeat the last row/column)
    rng = np.random.default_rng(4)
    img = smooth_gray(rng, (45, 38))
    noisy = add_noise(rng, img, 20)

    def halve(x):
        x = np.pad(x, ((0, 1), (0, 0)), mode='edge')
        return x.reshape(23, 2, 19, 2).mean(axis=(1, 3))

    assert ms_ssim(img, noisy, weights=(0.0, 1.0)) == pytest.approx(
        skimage_ssim(halve(img), halve(noisy)), abs=1e-12)


def test_small_images_use_fewer_renormalised_scales():
    assert [num_scales(s, s) for s in (10, 11, 20, 21, 64, 160, 161)] == [
        0, 1, 1, 2, 3, 4, 5
    ]
    rng = np.random.default_rng(5)
    img = smooth_gray(rng, (32, 32))
    noisy = add_noise(rng, img, 15)
    w = np.array(MS_SSIM_WEIGHTS[:2]) / sum(MS_SSIM_WEIGHTS[:2])
    assert ms_ssim(img, noisy) == pytest.approx(
        ms_ssim(img, noisy, weights=tuple(w)), abs=1e-12)
    with pytest.raises(ValueError, match='at least 11x11'):
        ms_ssim(img[:10], noisy[:10])


def test_colour_is_the_mean_over_channels():
    rng = np.random.default_rng(6)
    a = np.stack([smooth_gray(rng, (48, 48)) for _ in range(3)], axis=-1)
    b = add_noise(rng, a, 25)
    per_channel = [ms_ssim(a[..., c], b[..., c]) for c in range(3)]
    assert ms_ssim(a, b) == pytest.approx(np.mean(per_channel), abs=1e-12)


def test_uncorrelated_terms_are_clamped_not_nan():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 255, (64, 32, 32))
    y = rng.uniform(0, 255, (64, 32, 32))
    scores = ms_ssim_batch(x, y)
    assert scores.shape == (64, )
    assert np.all(np.isfinite(scores)) and np.all(scores >= 0)
    assert np.any(scores == 0)  # some negative cs clamped to 0


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='same shape'):
        ms_ssim(np.zeros((16, 16)), np.zeros((16, 17)))
    with pytest.raises(ValueError, match='HxW or HxWxC'):
        ms_ssim(np.zeros((1, 16, 16, 3)), np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match='win_size'):
        ms_ssim_batch(np.zeros((16, 16)), np.zeros((16, 16)), win_size=4)
    with pytest.raises(ValueError, match='num_pairs'):
        MSSSIMDiversity(num_pairs=0)
    with pytest.raises(ValueError, match='input_range'):
        MSSSIMDiversity(input_range=(1, -1))
    metric = MSSSIMDiversity()
    metric.update(np.zeros((2, 3, 16, 16), np.float32))
    with pytest.raises(ValueError, match='CxHxW'):
        metric.update(np.zeros((2, 3, 16, 17), np.float32))


def test_diversity_of_copies_is_one_and_of_noise_near_zero():
    rng = np.random.default_rng(8)
    one = rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)
    copies = MSSSIMDiversity(num_pairs=20)
    copies.update(np.repeat(one, 6, axis=0))
    assert copies.accumulate() == pytest.approx(1.0, abs=1e-9)

    noise = MSSSIMDiversity(num_pairs=100)
    noise.update(rng.uniform(-1, 1, (40, 3, 32, 32)).astype(np.float32))
    assert noise.accumulate() < 0.1

    # a set of noisy variants of one image sits in between
    variants = np.clip(one + 0.3 * rng.standard_normal((20, 3, 32, 32)),
                       -1, 1).astype(np.float32)
    middle = MSSSIMDiversity(num_pairs=50)
    middle.update(variants, variants)  # gts are ignored
    assert 0.1 < middle.accumulate() < 0.9


def test_pairs_are_distinct_images_and_seeded():
    rng = np.random.default_rng(9)
    imgs = rng.uniform(-1, 1, (2, 3, 16, 16)).astype(np.float32)
    metric = MSSSIMDiversity(num_pairs=10)
    metric.update(imgs)
    expected = ms_ssim_batch((imgs[:1] + 1) * 127.5,
                             (imgs[1:] + 1) * 127.5).mean()
    # with two images every pair is (0, 1) or (1, 0): never an image itself
    assert metric.accumulate() == pytest.approx(expected, abs=1e-6)

    many = rng.uniform(-1, 1, (12, 3, 16, 16)).astype(np.float32)
    results = []
    for seed in (1, 1, 2):
        m = MSSSIMDiversity(num_pairs=8, seed=seed)
        m.update(many[:5])
        m.update(paddle.to_tensor(many[5:]))
        results.append(m.accumulate())
    assert results[0] == results[1] != results[2]


def test_uint8_lists_match_float_tensors():
    rng = np.random.default_rng(10)
    levels = rng.integers(0, 256, (5, 24, 24, 3))
    as_float = (levels / 127.5 - 1).transpose(0, 3, 1, 2).astype(np.float32)
    a, b = MSSSIMDiversity(num_pairs=10), MSSSIMDiversity(num_pairs=10)
    a.update(list(levels.astype(np.uint8)))
    b.update(paddle.to_tensor(as_float))
    assert a.accumulate() == pytest.approx(b.accumulate(), abs=1e-5)


def test_too_few_images_give_nan():
    metric = MSSSIMDiversity()
    assert np.isnan(metric.accumulate())
    metric.update(np.zeros((1, 3, 16, 16), np.float32))
    assert np.isnan(metric.accumulate())


def test_registered_and_all_reduced(monkeypatch):
    assert METRICS.get('MSSSIMDiversity') is MSSSIMDiversity
    metric = build_metric({'name': 'MSSSIMDiversity', 'num_pairs': 6})
    assert metric.name() == 'MSSSIMDiversity'
    images = np.random.default_rng(11).uniform(
        -1, 1, (4, 3, 16, 16)).astype(np.float32)
    metric.update(images)
    local = metric.accumulate()
    metric = build_metric({'name': 'MSSSIMDiversity', 'num_pairs': 6})
    metric.update(images)  # a fresh one: accumulate() keeps its result
    calls = []

    def fake_all_reduce(tensor, *args, **kwargs):
        calls.append(tensor.numpy().copy())
        # the other rank scored 3 pairs at MS-SSIM 1.0
        tensor.set_value(tensor + paddle.to_tensor(np.array([3.0, 3.0])))

    monkeypatch.setattr(paddle.distributed, 'get_world_size', lambda: 2)
    monkeypatch.setattr(paddle.distributed, 'get_rank', lambda: 0)
    monkeypatch.setattr(paddle.distributed, 'all_reduce', fake_all_reduce)
    merged = metric.accumulate()
    # each of 2 ranks draws ceil(6 / 2) = 3 pairs
    assert calls[0][1] == 3
    assert merged == pytest.approx((calls[0][0] + 3.0) / 6, abs=1e-12)
    assert 0 <= local < 1
