"""ImageFolderDataset (unpaired GAN images) and the LFW demo-faces builder."""
import os

import cv2
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.prepare.demo_faces_lfw import NUM_FACES, build_demo_faces_lfw
from ppgan_ext.datasets.image_folder_dataset import (ImageFolderDataset,
                                                     center_crop)
from ppgan_ext.io.images import ImageReadError
from ppgan_ext.datasets.sr_folder_dataset import DatasetError
from tests.bad_images import good_rgb, write_kind


def _write(path, img_rgb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = img_rgb[..., ::-1] if img_rgb.ndim == 3 else img_rgb
    assert cv2.imwrite(path, img)
    return path


def test_recursive_listing_crop_resize_and_range(tmp_path):
    img = good_rgb(30, 20, seed=1)
    _write(str(tmp_path / 'a.png'), img)
    _write(str(tmp_path / 'sub' / 'deeper' / 'b.png'), good_rgb(30, 20, 2))
    _write(str(tmp_path / '.hidden' / 'c.png'), good_rgb(30, 20, 3))
    (tmp_path / 'notes.txt').write_text('not an image')
    ds = ImageFolderDataset(str(tmp_path), size=8, crop_size=16)
    assert [os.path.relpath(p, tmp_path) for p in ds.paths] == [
        'a.png', os.path.join('sub', 'deeper', 'b.png')]
    item = ds[0]
    x = item['img']
    assert x.shape == (3, 8, 8) and x.dtype == np.float32
    assert -1.0 <= x.min() and x.max() <= 1.0
    # centre 16x16 of a 30x20 image, then 2x2 area averaging
    crop = img[7:23, 2:18].astype(np.float64)
    want = crop.reshape(8, 2, 8, 2, 3).mean(axis=(1, 3))
    got = (x.transpose(1, 2, 0).astype(np.float64) + 1.0) * 127.5
    assert np.abs(got - want).max() <= 0.51 + 1e-3
    assert item['img_path'] == ds.paths[0]


def test_constant_image_values_gray_channels_and_flip(tmp_path):
    gray = np.zeros((10, 10), np.uint8)
    gray[:, :5] = 255
    _write(str(tmp_path / 'g.png'), gray)
    ds = ImageFolderDataset(str(tmp_path), size=10)
    x = ds[0]['img']
    assert x.shape == (3, 10, 10)
    np.testing.assert_allclose(x[:, :, :5], 1.0)
    np.testing.assert_allclose(x[:, :, 5:], -1.0)
    flipped = ds.load(ds.paths[0], flip=True)
    np.testing.assert_allclose(flipped, x[:, :, ::-1])
    ds1 = ImageFolderDataset(str(tmp_path), size=4, channels=1)
    assert ds1[0]['img'].shape == (1, 4, 4)


@pytest.mark.parametrize('kind', ['empty', 'text'])
def test_bad_file_fails_at_load_naming_it(tmp_path, kind):
    _write(str(tmp_path / 'ok1.png'), good_rgb())
    _write(str(tmp_path / 'ok2.png'), good_rgb())
    bad = write_kind(str(tmp_path / 'zz_bad'), kind)
    with pytest.raises(DatasetError) as e:
        ImageFolderDataset(str(tmp_path), size=8)
    assert bad in str(e.value) and '1 bad file(s) of 3' in str(e.value)


def test_image_smaller_than_crop_is_named(tmp_path):
    _write(str(tmp_path / 'big.png'), good_rgb(40, 40))
    small = _write(str(tmp_path / 'small.png'), good_rgb(20, 30))
    with pytest.raises(DatasetError, match='small.png.*smaller than crop_size'):
        ImageFolderDataset(str(tmp_path), size=8, crop_size=24)
    assert small


def test_truncated_file_fails_on_read_naming_it(tmp_path):
    bad = write_kind(str(tmp_path / 'cut'), 'truncated_png')
    ds = ImageFolderDataset(str(tmp_path), size=8)  # header is fine
    with pytest.raises(ImageReadError, match='cut.png'):
        ds[0]
    assert os.path.exists(bad)


def test_empty_or_missing_folder_and_bad_args(tmp_path):
    with pytest.raises(DatasetError, match='contains no images'):
        ImageFolderDataset(str(tmp_path), size=8)
    with pytest.raises(DatasetError, match='no such folder'):
        ImageFolderDataset(str(tmp_path / 'nope'), size=8)
    _write(str(tmp_path / 'a.png'), good_rgb())
    with pytest.raises(ValueError, match='size'):
        ImageFolderDataset(str(tmp_path), size=0)
    with pytest.raises(ValueError, match='crop_size'):
        ImageFolderDataset(str(tmp_path), size=8, crop_size=-3)
    with pytest.raises(ValueError, match='channels'):
        ImageFolderDataset(str(tmp_path), size=8, channels=2)
    with pytest.raises(ValueError, match='larger than the image'):
        center_crop(good_rgb(4, 4), 5)


def test_max_images_and_unchecked_listing(tmp_path):
    for i in range(5):
        _write(str(tmp_path / f'{i}.png'), good_rgb(seed=i))
    write_kind(str(tmp_path / '9_bad'), 'text')
    ds = ImageFolderDataset(str(tmp_path), size=8, max_images=3)
    assert len(ds) == 3
    ds = ImageFolderDataset(str(tmp_path), size=8, check_files=False)
    assert len(ds) == 6
    with pytest.raises(ImageReadError, match='9_bad.png'):
        ds[5]


def test_demo_faces_are_the_first_100_lfw_images(tmp_path):
    import skimage.data
    out = build_demo_faces_lfw(str(tmp_path), log=lambda *a: None)
    files = sorted(f for f in os.listdir(out) if f.endswith('.png'))
    assert len(files) == NUM_FACES == 100
    lfw = skimage.data.lfw_subset()
    assert lfw.shape == (200, 25, 25) and lfw.max() <= 1.0
    for i in (0, 57, 99):
        img = cv2.imread(os.path.join(out, files[i]), cv2.IMREAD_UNCHANGED)
        assert img.shape == (25, 25) and img.dtype == np.uint8
        np.testing.assert_array_equal(
            img, np.round(lfw[i] * 255).astype(np.uint8))
    # second call: already built, nothing rewritten
    stamp = os.path.getmtime(os.path.join(out, files[0]))
    build_demo_faces_lfw(str(tmp_path), log=lambda *a: None)
    assert os.path.getmtime(os.path.join(out, files[0])) == stamp
    ds = ImageFolderDataset(out, size=16, crop_size=23)
    assert len(ds) == 100 and ds[3]['img'].shape == (3, 16, 16)
