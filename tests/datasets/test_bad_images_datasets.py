"""Every dataset over every bad and odd image kind (see tests/bad_images.py).

Bad kinds are refused with DatasetError (when the dataset is built) or
ImageReadError (when the item is read), the message naming the file; odd
kinds are decoded to RGB uint8 before the dataset's own normalisation.
"""
import copy
import os

import cv2
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan.datasets.builder import build_dataset
from ppgan_ext.config import load_config
from ppgan_ext.datasets.base import DatasetError
from ppgan_ext.datasets.face_sr_dataset import FaceSRDataset
from ppgan_ext.datasets.ffhq_degradation_dataset import FFHQDegradationDataset
from ppgan_ext.datasets.image_folder_dataset import ImageFolderDataset
from ppgan_ext.io.images import ImageReadError, write_image
from ppgan_ext.prepare.baselines import bicubic_baseline
from tests.bad_images import (ALL_KINDS, BAD_KINDS, expected_rgb, good_rgb,
                              write_kind)
from tests.paddlegan_style import with_paddlegan_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
ESRGAN_DEMO = os.path.join(ROOT, 'configs', 'esrgan_psnr_x4_demo.yaml')


def assert_refused(load, path):
    with pytest.raises((DatasetError, ImageReadError)) as e:
        load()
    assert os.path.basename(path) in str(e.value)


def read_all(ds):
    return [ds[i] for i in range(len(ds))]


def to_unit(img, mean=127.5):
    """uint8 HWC -> CHW float in [-1, 1] (or [0, 1] with ``mean=0``)."""
    chw = img.transpose(2, 0, 1).astype(np.float64)
    return chw / 255.0 if mean == 0 else chw / 127.5 - 1.0


def folder_with(tmp_path, name, kind, size=None):
    """A folder holding one good image ``a.png`` and the ``kind`` file."""
    folder = tmp_path / name
    folder.mkdir()
    write_image(str(folder / 'a.png'), good_rgb(seed=5))
    return str(folder), write_kind(str(folder / f'z_{kind}'), kind, size)


def assert_read_as_expected(item, key, path, kind):
    """``item[key]`` came from ``path`` and holds the ``kind`` file's
    pixels as 24x24 RGB in [-1, 1]; the LR input is 24x24 too."""
    assert item[f'{key}_path'] == path
    assert item['lq'].shape == (3, 24, 24)
    np.testing.assert_allclose(item[key], to_unit(expected_rgb(kind, out=24)),
                               atol=1e-6)


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_face_sr_dataset(tmp_path, kind):
    folder, path = folder_with(tmp_path, 'faces', kind)
    for lr_only in (False, True):
        def load():
            return read_all(FaceSRDataset(folder, gt_size=24, scale=4,
                                          lr_only=lr_only))
        if kind in BAD_KINDS:
            assert_refused(load, path)
            continue
        item = load()[1]
        key = 'lq' if lr_only else 'gt'
        assert item[key].dtype == np.float32
        assert_read_as_expected(item, key, path, kind)


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_ffhq_degradation_dataset(tmp_path, kind):
    folder, path = folder_with(tmp_path, 'hq', kind)
    # paired mode: the kind file is the LQ partner of a good HQ face
    hq = tmp_path / 'hq_for_lq'
    stem = os.path.splitext(os.path.basename(path))[0]
    for name in ('a', stem):
        write_image(str(hq / f'{name}.png'), good_rgb(seed=6))
    loads = {'gt': lambda: FFHQDegradationDataset(folder, size=24,
                                                  gray_prob=0.0, seed=0),
             'lq': lambda: FFHQDegradationDataset(str(hq), size=24,
                                                  lq_folder=folder)}
    for key, build in loads.items():
        if kind in BAD_KINDS:
            assert_refused(lambda: read_all(build()), path)
            continue
        item = read_all(build())[1]
        assert item['gt'].shape == (3, 24, 24)
        assert_read_as_expected(item, key, path, kind)


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_image_folder_dataset(tmp_path, kind):
    folder, path = folder_with(tmp_path, 'imgs', kind)

    def load():
        return read_all(ImageFolderDataset(folder, size=24))
    if kind in BAD_KINDS:
        assert_refused(load, path)
        return
    item = load()[1]
    assert item['img_path'] == path and item['img'].dtype == np.float32
    np.testing.assert_allclose(item['img'],
                               to_unit(expected_rgb(kind, out=24)), atol=1e-6)


def sr_pair_folders(tmp_path, kind, scale=4):
    """LR folder: good ``a`` + the ``kind`` file (24 px, or 1 px); HR folder:
    their partners ``scale`` times larger, same names."""
    lq, gt = tmp_path / 'lq', tmp_path / 'gt'
    lq.mkdir()
    gt.mkdir()
    cv2.imwrite(str(lq / 'a.png'), good_rgb(24, 24, 1))
    path = write_kind(str(lq / f'z_{kind}'), kind, size=24)
    side = (1 if kind == 'one_pixel' else 24) * scale
    for name in ('a.png', os.path.basename(path)):
        cv2.imwrite(str(gt / name), good_rgb(side if name != 'a.png' else 96,
                                             side if name != 'a.png' else 96,
                                             2))
    return str(lq), str(gt), path


def esrgan_dataset(split, lq, gt, paddlegan_names=False):
    cfg = copy.deepcopy(dict(load_config(ESRGAN_DEMO)['dataset'][split]))
    if paddlegan_names:
        cfg = with_paddlegan_names(cfg)
    for key in ('num_workers', 'batch_size'):
        cfg.pop(key, None)
    cfg.update(lq_folder=lq, gt_folder=gt)
    return build_dataset(cfg)


@pytest.mark.parametrize('paddlegan_names', [False, True],
                         ids=['plugin_names', 'paddlegan_names'])
@pytest.mark.parametrize('kind', ALL_KINDS)
def test_sr_folder_dataset_with_the_esrgan_pipelines(tmp_path, kind, capsys,
                                                     paddlegan_names):
    """SRFolderDataset + ReadImage as configs/esrgan_*.yaml use them, and
    SRDataset + LoadImageFromFile as PaddleGAN's own configs do."""
    lq, gt, path = sr_pair_folders(tmp_path, kind)
    for split in ('train', 'test'):
        def load():
            return read_all(esrgan_dataset(split, lq, gt, paddlegan_names))
        if kind in BAD_KINDS:
            assert_refused(load, path)
        elif kind == 'one_pixel' and split == 'train':
            with pytest.raises(DatasetError, match=r'z_one_pixel.png: HR '
                               r'image 4x4 is smaller than the training '
                               r'crop \(gt_patch_size=64\)'):
                load()
        else:
            item = load()[1]
            assert item['lq_path'] == path
            if split == 'train':  # random 64 px HR crop
                assert item['lq'].shape == (3, 16, 16)
                assert item['gt'].shape == (3, 64, 64)
            else:
                np.testing.assert_allclose(
                    item['lq'], to_unit(expected_rgb(kind), mean=0),
                    atol=1e-6)
    printed = capsys.readouterr()
    assert 'Traceback' not in printed.out + printed.err
    assert 'fail to perform' not in printed.out


@pytest.mark.parametrize('kind', ALL_KINDS)
def test_bicubic_baseline(tmp_path, kind):
    lq, gt, path = sr_pair_folders(tmp_path, kind)
    if kind in BAD_KINDS:
        assert_refused(lambda: bicubic_baseline(lq, gt, 4), path)
        return
    if kind == 'one_pixel':  # HR 4x4: no SSIM window fits, not a NaN
        with pytest.raises(DatasetError, match='z_one_pixel.png: HR image 4x4 '
                           'is too small for SSIM'):
            bicubic_baseline(lq, gt, 4, crop_border=0)
        return
    scores = bicubic_baseline(lq, gt, 4, crop_border=0)
    assert scores['images'] == 2 and np.isfinite(scores['psnr'])


def test_preprocess_value_errors_name_the_files(tmp_path, capsys):
    """A transform that refuses a sample names its files, prints nothing."""
    lq, gt, _ = sr_pair_folders(tmp_path, 'gray')
    ds = esrgan_dataset('train', lq, gt)
    ds.preprocess.functions[-1].transforms[0].gt_patch_size = 400
    with pytest.raises(DatasetError, match=r'gt/a.png, .*lq/a.png: '
                       'preprocess step Transforms failed: lq size error'):
        ds[0]
    assert capsys.readouterr().out == ''
