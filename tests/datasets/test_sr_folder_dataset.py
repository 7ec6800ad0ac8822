"""SRFolderDataset checks pairs on load; ReadImage errors surface un-wrapped."""
import os

import cv2
import numpy as np
import pytest

from ppgan_ext.io.images import ImageReadError
from ppgan_ext.datasets.sr_folder_dataset import (DatasetError,
                                                  SRFolderDataset)
from tests.bad_images import good_rgb, write_kind

PIPELINE = [{'name': 'ReadImage', 'key': 'lq'},
            {'name': 'ReadImage', 'key': 'gt'},
            {'name': 'Transforms', 'input_keys': ['lq', 'gt'], 'pipeline': [
                {'name': 'Transpose', 'keys': ['image', 'image']}]}]


def make_pairs(root, n=3, scale=2, size=16):
    gt, lq = root / 'hr', root / 'lr'
    gt.mkdir()
    lq.mkdir()
    for i in range(n):
        cv2.imwrite(str(gt / f'{i}.png'), good_rgb(size, size, i))
        cv2.imwrite(str(lq / f'{i}.png'), good_rgb(size // scale,
                                                    size // scale, i))
    return str(lq), str(gt)


def dataset(lq, gt, scale=2, **kw):
    return SRFolderDataset(lq, gt, PIPELINE, scale, **kw)


def test_good_pairs_load(tmp_path):
    lq, gt = make_pairs(tmp_path)
    ds = dataset(lq, gt)
    assert len(ds) == 3
    item = ds[1]
    assert item['lq'].shape == (3, 8, 8) and item['gt'].shape == (3, 16, 16)
    assert item['gt_path'].endswith('1.png')


def test_missing_partner_is_named(tmp_path):
    lq, gt = make_pairs(tmp_path)
    os.remove(os.path.join(lq, '2.png'))
    with pytest.raises(DatasetError, match=r'hr/2.png: no LR partner'):
        dataset(lq, gt)


def test_orphan_lr_is_named(tmp_path):
    lq, gt = make_pairs(tmp_path)
    cv2.imwrite(os.path.join(lq, 'extra.png'), good_rgb(8, 8))
    with pytest.raises(DatasetError, match=r'lr/extra.png: LR image has no HR'):
        dataset(lq, gt)


def test_scale_mismatch_is_named(tmp_path):
    lq, gt = make_pairs(tmp_path)
    with pytest.raises(DatasetError, match=r'lr/0.png: LR size 8x8 does not '
                       r'match HR .*16x16 at scale 4'):
        dataset(lq, gt, scale=4)
    with pytest.raises(DatasetError, match='lq_upsampled'):
        dataset(lq, gt, lq_upsampled=True)


@pytest.mark.parametrize('kind', ['empty', 'text'])
def test_unreadable_file_fails_at_load(tmp_path, kind):
    lq, gt = make_pairs(tmp_path)
    os.remove(os.path.join(lq, '1.png'))
    write_kind(os.path.join(lq, '1'), kind)
    with pytest.raises(DatasetError, match=r'lr/1.png'):
        dataset(lq, gt)


def test_truncated_file_fails_when_read_naming_it(tmp_path):
    lq, gt = make_pairs(tmp_path)
    ok, buf = cv2.imencode('.png', good_rgb(16, 16, 5))
    with open(os.path.join(gt, '0.png'), 'wb') as f:
        f.write(buf.tobytes()[:len(buf) - 40])  # header intact, data cut
    ds = dataset(lq, gt)
    with pytest.raises(ImageReadError, match=r'hr/0.png'):
        ds[0]


def test_empty_or_missing_folder_is_named(tmp_path):
    lq, gt = make_pairs(tmp_path)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(DatasetError, match=r'LR \(lq_folder\) .*empty: '
                       'contains no images'):
        dataset(str(empty), gt)
    with pytest.raises(DatasetError, match=r'HR \(gt_folder\) .*nope: no such'):
        dataset(lq, str(tmp_path / 'nope'))
