"""FaceSRDataset: on-the-fly LR, ranges, determinism, augmentation, LR-only
mode, errors naming the folder / file; the face transforms."""
import os

import numpy as np
import pytest

import ppgan_ext  # noqa: F401
import ppgan_ext.datasets.face_sr_dataset  # noqa: F401  (registers)
from ppgan.datasets.builder import DATASETS
from ppgan_ext.io.images import bicubic_resize
from ppgan_ext.datasets.face_sr_dataset import FaceSRDataset
from ppgan_ext.datasets.face_transforms import (random_resized_crop_box,
                                                random_scale_crop)
from ppgan_ext.io.images import ImageReadError, read_image, write_image
from ppgan_ext.datasets.sr_folder_dataset import DatasetError


def lfw(i, size):
    import skimage.data
    g = np.round(skimage.data.lfw_subset()[i] * 255).astype(np.uint8)
    return np.repeat(bicubic_resize(g[..., None], size), 3, axis=2)


@pytest.fixture
def hr_folder(tmp_path):
    d = tmp_path / 'hr'
    write_image(str(d / 'a.png'), lfw(0, (128, 128)))
    write_image(str(d / 'b.png'), lfw(1, (60, 80)))  # 80 high, 60 wide
    return str(d)


def denorm(x):
    return np.round((np.asarray(x).transpose(1, 2, 0) + 1) * 127.5)


def test_registered():
    assert DATASETS.get('FaceSRDataset') is FaceSRDataset


def test_shapes_ranges_and_lr_recipe(hr_folder):
    data = FaceSRDataset(hr_folder)
    assert len(data) == 2
    for i in range(2):
        item = data[i]
        assert item['lq'].shape == item['gt'].shape == (3, 128, 128)
        assert item['lq'].dtype == np.float32
        for k in ('lq', 'gt'):
            assert -1.0 <= item[k].min() and item[k].max() <= 1.0
        assert item['lq_path'] == item['gt_path'] == data.paths[i]
    # gt is the (square-cropped, resized) face; lq its 16x16 bicubic
    # version bicubic-upsampled back
    item = data[0]
    hr = read_image(data.paths[0])
    np.testing.assert_array_equal(denorm(item['gt']), hr)
    up = bicubic_resize(bicubic_resize(hr, (16, 16)), (128, 128))
    np.testing.assert_array_equal(denorm(item['lq']), up)
    # the 60x80 face: centre square crop then resize
    sq = read_image(data.paths[1])[10:70]
    np.testing.assert_array_equal(denorm(data[1]['gt']),
                                  bicubic_resize(sq, (128, 128)))


def test_validation_is_deterministic_augmentation_is_seeded(hr_folder):
    plain = FaceSRDataset(hr_folder)
    np.testing.assert_array_equal(plain[0]['lq'], plain[0]['lq'])
    aug = FaceSRDataset(hr_folder, augment=True)
    np.random.seed(0)
    a = [aug[0]['gt'] for _ in range(4)]
    np.random.seed(0)
    b = [aug[0]['gt'] for _ in range(4)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, plain[0]['gt']) for x in a)
    assert all(x.shape == (3, 128, 128) for x in a)


def test_custom_sizes(hr_folder):
    data = FaceSRDataset(hr_folder, gt_size=32, scale=4, input_size=32)
    item = data[0]
    assert item['lq'].shape == item['gt'].shape == (3, 32, 32)


def test_lr_only_folder(tmp_path):
    d = tmp_path / 'lr'
    write_image(str(d / 'x.png'), lfw(2, (16, 16)))
    data = FaceSRDataset(str(d), lr_only=True)
    item = data[0]
    assert set(item) == {'lq', 'lq_path'}
    assert item['lq'].shape == (3, 128, 128)
    up = bicubic_resize(read_image(str(d / 'x.png')), (128, 128))
    np.testing.assert_array_equal(denorm(item['lq']), up)


def test_empty_folder_names_it(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DatasetError, match='empty'):
        FaceSRDataset(str(tmp_path / 'empty'))
    with pytest.raises(DatasetError, match='nowhere'):
        FaceSRDataset(str(tmp_path / 'nowhere'))


def test_bad_image_names_file(hr_folder):
    bad = os.path.join(hr_folder, 'c.png')
    with open(bad, 'w') as f:
        f.write('not an image')
    with pytest.raises(DatasetError, match=r'c.png: not a readable image.*'
                       r'1 unreadable file\(s\) of 3'):
        FaceSRDataset(hr_folder)
    os.remove(bad)
    data = FaceSRDataset(hr_folder)  # a truncated file has a valid header
    with open(data.paths[0], 'r+b') as f:
        f.truncate(200)
    with pytest.raises(ImageReadError, match='a.png'):
        data[0]


@pytest.mark.parametrize('kw, match', [({'scale': 3}, 'scale'),
                                       ({'zoom': 5}, 'zoom')])
def test_bad_arguments(hr_folder, kw, match):
    with pytest.raises(DatasetError, match=match):
        FaceSRDataset(hr_folder, **kw)


def test_random_scale_crop_branches():
    img = lfw(3, (64, 64))
    rng = np.random.RandomState(1)
    assert random_scale_crop(img, (1.0, 1.0), rng=rng) is img
    zoomed = random_scale_crop(img, (1.2, 1.3), rng=rng)
    assert zoomed.shape == img.shape and not np.array_equal(zoomed, img)
    shrunk = random_scale_crop(img, (0.5, 0.5), rng=rng)
    assert shrunk.shape == img.shape
    assert shrunk[:16].max() == 0 and shrunk[32].max() > 0
    for _ in range(20):
        t, l, h, w = random_resized_crop_box(64, 64, (0.7, 1.0),
                                             (3 / 4, 4 / 3), rng)
        assert 0 <= t and t + h <= 64 and 0 <= l and l + w <= 64
        assert 0.6 * 64 * 64 <= h * w <= 64 * 64 and 0.7 <= w / h <= 1.4
