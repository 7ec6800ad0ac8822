import cv2
import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401  (applies the Paddle shim before ppgan)
from ppgan.metrics.builder import METRICS, build_metric
from ppgan_ext.metrics.swd import (LaplacianSWD, _pyr_down, _pyr_up,
                                   laplacian_pyramid, sliced_wasserstein,
                                   to_nchw_numpy)


def smooth_images(rng, n, size, sigma=1.5):
    """Random smooth colour images in [-1, 1], NCHW float32."""
    noise = rng.standard_normal((n, size, size, 3)).astype(np.float32)
    imgs = np.stack([cv2.GaussianBlur(im, (0, 0), sigma) for im in noise])
    imgs /= np.abs(imgs).max()
    return imgs.transpose(0, 3, 1, 2).copy()


def swd(fake, real, **kwargs):
    metric = LaplacianSWD(**kwargs)
    metric.update(fake, real)
    return metric


@pytest.fixture(scope='module')
def sets():
    rng = np.random.default_rng(0)
    return smooth_images(rng, 48, 32), smooth_images(rng, 48, 32)


def test_pyramid_levels_match_opencv():
    img = np.random.default_rng(1).standard_normal((32, 32)).astype(
        np.float32)
    down = cv2.pyrDown(img)
    np.testing.assert_allclose(_pyr_down(img[None, None])[0, 0], down,
                               atol=1e-5)
    np.testing.assert_allclose(_pyr_up(down[None, None])[0, 0],
                               cv2.pyrUp(down), atol=1e-5)


def test_laplacian_pyramid_reconstructs_the_image():
    imgs = np.random.default_rng(2).standard_normal((2, 3, 32, 32)).astype(
        np.float32)
    levels = laplacian_pyramid(imgs, 3)
    assert [lv.shape[-1] for lv in levels] == [32, 16, 8]
    rebuilt = levels[-1]
    for band in levels[-2::-1]:
        rebuilt = _pyr_up(rebuilt) + band
    np.testing.assert_allclose(rebuilt, imgs, atol=1e-5)


def test_sliced_wasserstein_of_a_1d_shift_is_the_shift():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((500, 1)).astype(np.float32)
    # with one component every unit direction is +-1
    assert sliced_wasserstein(a, a + 0.3, rng, 2, 8) == pytest.approx(
        0.3, abs=1e-6)


def test_identical_sets_score_zero(sets):
    real, _ = sets
    metric = swd(real.copy(), real)
    assert list(metric.per_level()) == [32, 16]
    assert all(v == 0.0 for v in metric.per_level().values())
    assert metric.accumulate() == 0.0


def test_degraded_sets_score_clearly_higher(sets):
    real, other = sets
    noise = np.random.default_rng(4).uniform(-1, 1, real.shape).astype(
        np.float32)
    blurred = np.stack([
        cv2.GaussianBlur(im.transpose(1, 2, 0), (0, 0), 3).transpose(2, 0, 1)
        for im in real
    ])
    # another sample of the same distribution: finite-sample distance only
    same = swd(other, real).per_level()
    assert min(same.values()) > 0
    same_avg = np.mean(list(same.values()))
    vs_noise = swd(noise, real)
    assert vs_noise.per_level()[32] > 3 * same[32]
    assert vs_noise.accumulate() > 1.5 * same_avg
    vs_blur = swd(blurred, real)
    assert vs_blur.accumulate() > 2 * same_avg
    assert all(vs_blur.per_level()[r] > same[r] for r in same)


def test_invariant_to_order_and_batching(sets):
    fake, real = sets
    base = swd(fake, real, seed=5).per_level()
    perm = np.random.default_rng(6).permutation(len(fake))
    shuffled = LaplacianSWD(seed=5)
    shuffled.update(fake[perm][:20], real[perm[::-1]][:20])
    shuffled.update(fake[perm][20:], real[perm[::-1]][20:])
    for res, value in shuffled.per_level().items():
        assert value == pytest.approx(base[res], rel=1e-6)


def test_deterministic_given_a_seed(sets):
    fake, real = sets
    first = swd(fake, real, seed=7).per_level()
    assert swd(fake, real, seed=7).per_level() == first
    other_seed = swd(fake, real, seed=8).per_level()
    assert other_seed != first
    # a different seed is another estimate of the same quantity
    for res in first:
        assert other_seed[res] == pytest.approx(first[res], rel=0.5)


def test_hwc_uint8_lists_equal_nchw_arrays():
    rng = np.random.default_rng(9)
    fake = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    real = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    listed = swd(list(fake), list(real)).per_level()
    arrays = swd(fake.transpose(0, 3, 1, 2), real.transpose(0, 3, 1, 2))
    tensors = swd(paddle.to_tensor(fake.transpose(0, 3, 1, 2)),
                  paddle.to_tensor(real.transpose(0, 3, 1, 2)))
    assert listed == arrays.per_level() == tensors.per_level()


def test_pyramid_depth_follows_the_paper_and_overrides():
    rng = np.random.default_rng(10)
    imgs = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    assert list(swd(imgs, imgs).per_level()) == [64, 32, 16]
    assert list(swd(imgs, imgs, num_levels=2).per_level()) == [64, 32]
    small = imgs[:, :, :8, :8]
    assert list(swd(small, small).per_level()) == [8]


def test_bad_inputs_raise_clear_errors():
    imgs = np.zeros((2, 3, 24, 24), np.float32)
    with pytest.raises(ValueError, match='divisible by 16'):
        LaplacianSWD(num_levels=5).update(imgs, imgs)
    with pytest.raises(ValueError, match='patch_size'):
        LaplacianSWD(num_levels=3).update(imgs, imgs)
    with pytest.raises(ValueError, match='same CxHxW'):
        LaplacianSWD().update(imgs, imgs[:, :, :16, :16])
    with pytest.raises(ValueError, match='NCHW'):
        LaplacianSWD().update(imgs[0], imgs[0])
    with pytest.raises(ValueError, match='num_levels'):
        LaplacianSWD(num_levels=0)
    with pytest.raises(ValueError, match='seed'):
        LaplacianSWD(seed=-1)
    metric = LaplacianSWD()
    metric.update(imgs, imgs[:1])
    with pytest.raises(ValueError, match='2 fake and 1 real'):
        metric.accumulate()
    metric.reset()
    assert np.isnan(metric.accumulate())
    with pytest.raises(ValueError, match='one size'):
        metric.update(imgs, imgs)
        metric.update(imgs[:, :, :16, :16], imgs[:, :, :16, :16])


def test_registered_and_buildable():
    assert METRICS.get('LaplacianSWD') is LaplacianSWD
    metric = build_metric({'name': 'LaplacianSWD', 'seed': 3})
    assert metric.seed == 3 and metric.name() == 'LaplacianSWD'


def test_ranks_gather_to_the_single_process_result(sets, monkeypatch):
    fake, real = sets
    whole = swd(fake, real, seed=11).per_level()
    rank0, rank1 = LaplacianSWD(seed=11), LaplacianSWD(seed=11)
    rank0.update(fake[:30], real[:30])
    rank1.update(fake[30:], real[30:])

    def fake_gather(out, obj, *args, **kwargs):
        out.extend([obj, rank1_state])

    rank1_state = rank1._gathered()  # still single-process here
    monkeypatch.setattr(paddle.distributed, 'get_world_size', lambda: 2)
    monkeypatch.setattr(paddle.distributed, 'all_gather_object', fake_gather)
    for res, value in rank0.per_level().items():
        assert value == pytest.approx(whole[res], rel=1e-6)


def test_to_nchw_numpy_rejects_mixed_shapes():
    with pytest.raises(ValueError, match='one shape'):
        to_nchw_numpy([np.zeros((8, 8, 3)), np.zeros((8, 9, 3))], 'fake')
