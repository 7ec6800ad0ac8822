"""FFHQDegradationDataset: shapes/ranges, seeded determinism, the
degradation steps, paired-LQ mode and errors naming files/keys."""
import os

import cv2
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan.datasets.builder import DATASETS
from ppgan_ext.datasets.ffhq_degradation_dataset import (
    FFHQDegradationDataset, degrade_face, motion_blur_kernel)
from ppgan_ext.io.images import ImageReadError
from ppgan_ext.datasets.sr_folder_dataset import DatasetError


def write_rgb(path, img):
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


@pytest.fixture()
def faces(tmp_path):
    """Four colourful 96x80 test images (non-square: centre-cropped)."""
    rng = np.random.default_rng(0)
    folder = tmp_path / 'hq'
    folder.mkdir()
    yy, xx = np.mgrid[0:96, 0:80]
    for i in range(4):
        img = np.stack([(xx * (3 + i)) % 256, (yy * 2 + 40 * i) % 256,
                        (xx + yy) % 256], -1).astype(np.uint8)
        img = np.clip(img + rng.integers(0, 30, img.shape), 0, 255)
        write_rgb(folder / f'{i:05d}.png', img.astype(np.uint8))
    return folder


def test_registered_shapes_ranges_and_keys(faces):
    assert DATASETS.get('FFHQDegradationDataset') is FFHQDegradationDataset
    ds = FFHQDegradationDataset(str(faces), size=64)
    assert len(ds) == 4
    item = ds[1]
    assert set(item) == {'lq', 'gt', 'lq_path', 'gt_path'}
    for key in ('lq', 'gt'):
        assert item[key].shape == (3, 64, 64)
        assert item[key].dtype == np.float32
        assert item[key].min() >= -1.0 and item[key].max() <= 1.0
    assert item['gt_path'].endswith('00001.png')


def test_seed_fixes_degradations_per_index(faces):
    a = FFHQDegradationDataset(str(faces), size=64, seed=7)
    b = FFHQDegradationDataset(str(faces), size=64, seed=7)
    c = FFHQDegradationDataset(str(faces), size=64, seed=8)
    for i in range(4):
        np.testing.assert_array_equal(a[i]['lq'], b[i]['lq'])
        np.testing.assert_array_equal(a[i]['lq'], a[i]['lq'])
    assert any(not np.array_equal(a[i]['lq'], c[i]['lq']) for i in range(4))


def test_without_seed_each_read_draws_new_degradations(faces):
    ds = FFHQDegradationDataset(str(faces), size=64)
    np.random.seed(0)
    first = [ds[0]['lq'] for _ in range(3)]
    assert not np.array_equal(first[0], first[1]) or \
        not np.array_equal(first[1], first[2])
    np.random.seed(0)  # numpy's global seed (--seed) makes it repeatable
    again = [ds[0]['lq'] for _ in range(3)]
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)


def test_gray_applies_to_both_images(faces):
    ds = FFHQDegradationDataset(str(faces), size=64, seed=0, gray_prob=1.0,
                                noise_prob=0.0)
    item = ds[0]
    for key in ('lq', 'gt'):
        np.testing.assert_array_equal(item[key][0], item[key][1])
        np.testing.assert_array_equal(item[key][1], item[key][2])


def test_degradation_steps():
    rng = np.random.default_rng(0)
    hq = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    hq = cv2.GaussianBlur(hq, (0, 0), 2)
    off = dict(blur_prob=0.0, noise_prob=0.0, jpeg_prob=0.0)
    # intermediate side 512 px at 512 == 64 px at 64: nothing changes
    same = degrade_face(hq, np.random.default_rng(1), lq_size_range=(512, 513),
                        **off)
    np.testing.assert_array_equal(same, hq)
    # reference range [32, 128) at 512 -> [4, 16) at 64: a real loss
    small = degrade_face(hq, np.random.default_rng(1), **off)
    assert small.shape == hq.shape and small.dtype == np.uint8
    assert np.abs(small.astype(float) - hq).mean() > 3
    jpeg = degrade_face(hq, np.random.default_rng(1),
                        lq_size_range=(512, 513),
                        **dict(off, jpeg_prob=1.0))
    diff = np.abs(jpeg.astype(float) - hq)
    assert 0 < diff.mean() < 20
    noisy = degrade_face(hq, np.random.default_rng(1),
                         lq_size_range=(512, 513),
                         **dict(off, noise_prob=1.0))
    assert not np.array_equal(noisy, hq)
    blurred = degrade_face(hq, np.random.default_rng(3),
                           lq_size_range=(512, 513),
                           **dict(off, blur_prob=1.0))
    assert blurred.std() < hq.std()


def test_motion_blur_kernel():
    k = motion_blur_kernel(9, 30.0, 0.0)
    assert k.shape == (9, 9)
    assert k.sum() == pytest.approx(1.0, abs=1e-5) and k.min() >= 0
    one_sided = motion_blur_kernel(9, 0.0, 1.0)
    assert one_sided[:4].sum() > one_sided[5:].sum()


def test_paired_lq_folder_mode(faces, tmp_path):
    lq_dir = tmp_path / 'lq'
    lq_dir.mkdir()
    for i in range(4):
        img = np.full((32, 32, 3), 40 * i, np.uint8)
        cv2.imwrite(str(lq_dir / f'{i:05d}.jpg'), img)
    ds = FFHQDegradationDataset(str(faces), size=64, lq_folder=str(lq_dir))
    item = ds[2]
    assert item['lq_path'].endswith('00002.jpg')
    assert item['lq'].shape == (3, 64, 64)
    np.testing.assert_allclose(item['lq'], 80 / 127.5 - 1, atol=0.02)
    os.remove(lq_dir / '00003.jpg')
    with pytest.raises(DatasetError, match='00003.png: no LQ partner'):
        FFHQDegradationDataset(str(faces), size=64, lq_folder=str(lq_dir))
    cv2.imwrite(str(lq_dir / '00003.png'), img)
    cv2.imwrite(str(lq_dir / 'stray.png'), img)
    with pytest.raises(DatasetError, match='stray.png: LQ image has no HQ'):
        FFHQDegradationDataset(str(faces), size=64, lq_folder=str(lq_dir))


def test_errors_name_the_file_or_key(faces, tmp_path):
    (faces / 'broken.png').write_bytes(b'not a png at all')
    with pytest.raises(DatasetError, match='broken.png'):
        FFHQDegradationDataset(str(faces), size=64)
    os.remove(faces / 'broken.png')
    ds = FFHQDegradationDataset(str(faces), size=64)
    good = (faces / '00000.png').read_bytes()
    (faces / '00000.png').write_bytes(good[:len(good) // 2])  # truncated
    with pytest.raises(ImageReadError, match='00000.png'):
        ds[0]
    with pytest.raises(DatasetError, match='no such folder'):
        FFHQDegradationDataset(str(tmp_path / 'nope'))
    with pytest.raises(DatasetError, match='jpeg_prob'):
        FFHQDegradationDataset(str(faces), jpeg_prob=1.5)
    with pytest.raises(DatasetError, match='lq_size_range'):
        FFHQDegradationDataset(str(faces), lq_size_range=(64, 32))
    with pytest.raises(DatasetError, match='size=4'):
        FFHQDegradationDataset(str(faces), size=4)
