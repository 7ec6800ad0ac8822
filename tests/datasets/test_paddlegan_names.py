"""ppgan's SRDataset and LoadImageFromFile, as PaddleGAN's configs name them,
are the plugin's checked subclasses: same pairing and pixels as ppgan's,
plus errors that name the file."""
import os

import cv2
import numpy as np
import pytest
import skimage.data

import ppgan_ext  # noqa: F401
from ppgan.datasets.base_sr_dataset import SRDataset
from ppgan.datasets.builder import DATASETS, build_dataset
from ppgan.datasets.preprocess.builder import PREPROCESS
from ppgan.datasets.preprocess.io import LoadImageFromFile
from ppgan_ext.datasets.base import DatasetError
from ppgan_ext.io.images import ImageReadError
from ppgan_ext.datasets.sr_folder_dataset import (CheckedLoadImageFromFile,
                                                  CheckedSRDataset)
from tests.bad_images import good_rgb, write_kind

LOAD = [{'name': 'LoadImageFromFile', 'key': 'lq'},
        {'name': 'LoadImageFromFile', 'key': 'gt'}]


def test_ppgan_names_give_the_checked_subclasses():
    assert DATASETS.get('SRDataset') is CheckedSRDataset
    assert issubclass(CheckedSRDataset, SRDataset)
    assert PREPROCESS.get('LoadImageFromFile') is CheckedLoadImageFromFile
    assert issubclass(CheckedLoadImageFromFile, LoadImageFromFile)


def write_pairs(root, names, scale=2, side=16):
    lq, gt = root / 'lq', root / 'gt'
    for i, name in enumerate(names):
        for folder, size in ((gt, side), (lq, side // scale)):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), good_rgb(size, size, i))
    return str(lq), str(gt)


def sr_dataset(lq, gt, scale=2):
    return build_dataset({'name': 'SRDataset', 'lq_folder': lq,
                          'gt_folder': gt, 'preprocess': LOAD,
                          'scale': scale})


def test_pairs_files_as_ppgan_does(tmp_path):
    """HR images in sub-folders too, the LR partner by name in lq_folder."""
    lq, gt = write_pairs(tmp_path, ['b.png', 'a.jpg'])
    os.makedirs(os.path.join(gt, 'sub'))
    os.replace(os.path.join(gt, 'b.png'), os.path.join(gt, 'sub', 'b.png'))
    ours = sr_dataset(lq, gt)
    theirs = SRDataset(lq, gt, LOAD, 2)
    assert ours.data_infos == sorted(theirs.data_infos,
                                     key=lambda d: d['gt_path'])
    assert len(ours.data_infos) == 2


@pytest.mark.parametrize('ext', ['.png', '.jpg'])
@pytest.mark.parametrize('to_rgb', [True, False])
def test_same_pixels_as_ppgan_for_colour_photos(tmp_path, ext, to_rgb):
    path = str(tmp_path / f'astronaut{ext}')
    cv2.imwrite(path, skimage.data.astronaut()[100:260, 150:330, ::-1])
    kwargs = dict(key='lq', to_rgb=to_rgb, save_original_img=True)
    ours = PREPROCESS.get('LoadImageFromFile')(**kwargs)({'lq_path': path})
    theirs = LoadImageFromFile(**kwargs)({'lq_path': path})
    assert sorted(ours) == sorted(theirs)
    for key in ('lq', 'ori_lq'):
        assert ours[key].dtype == np.uint8
        np.testing.assert_array_equal(ours[key], theirs[key])
    assert ours['lq_ori_shape'] == theirs['lq_ori_shape'] == (160, 180, 3)


@pytest.mark.parametrize('kind', ['truncated_png', 'truncated_jpg', 'empty',
                                  'text'])
@pytest.mark.parametrize('flag', [-1, 0])
def test_bad_files_are_named(tmp_path, kind, flag):
    path = write_kind(str(tmp_path / 'bad'), kind)
    op = PREPROCESS.get('LoadImageFromFile')(key='gt', flag=flag)
    with pytest.raises(ImageReadError, match=os.path.basename(path)):
        op({'gt_path': path})


def test_other_flags_keep_ppgan_decoding(tmp_path):
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, good_rgb(12, 10, 3))
    out = PREPROCESS.get('LoadImageFromFile')(key='gt', flag=0,
                                              to_rgb=False)({'gt_path': path})
    np.testing.assert_array_equal(out['gt'], cv2.imread(path, 0))


def test_a_pair_that_does_not_fit_the_scale_is_named_when_built(tmp_path):
    lq, gt = write_pairs(tmp_path, ['a.png', 'b.png'])
    cv2.imwrite(os.path.join(lq, 'b.png'), good_rgb(7, 8))
    with pytest.raises(DatasetError, match=r'lq/b.png: LR size 8x7 does not '
                       r'match HR .*gt/b.png 16x16 at scale 2'):
        sr_dataset(lq, gt)


def test_missing_partner_is_named_when_built(tmp_path):
    lq, gt = write_pairs(tmp_path, ['a.png', 'b.png'])
    os.remove(os.path.join(lq, 'a.png'))
    with pytest.raises(DatasetError, match=r'gt/a.png: no LR partner'):
        sr_dataset(lq, gt)
