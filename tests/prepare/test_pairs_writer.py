"""Degradations and tools/prepare_data.py: sizes, recipes, bad files skipped."""
import os

import cv2
import numpy as np
import pytest

from ppgan_ext.datasets import degradations as deg
from ppgan_ext.io.images import read_image
from tests.bad_images import good_rgb, write_kind
from tools import prepare_data


def test_degradation_sizes_and_recipes():
    img = good_rgb(48, 60)
    assert deg.bicubic_down(img, 4).shape == (12, 15, 3)
    assert deg.down_up(img, 4).shape == img.shape
    blur = deg.nearest_blur_down(img, 2, kernel_size=5, sigma=1.5)
    near = cv2.resize(img, (30, 24), interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(blur, cv2.GaussianBlur(near, (5, 5), 1.5))
    assert deg.mod_crop(good_rgb(50, 61), 4).shape == (48, 60, 3)
    with pytest.raises(ValueError, match='not a multiple of scale 4'):
        deg.bicubic_down(good_rgb(50, 61), 4)
    with pytest.raises(ValueError, match='kernel_size must be odd'):
        deg.nearest_blur_down(img, 2, kernel_size=4)


def test_prepare_data_writes_checked_pairs_and_skips_bad_files(tmp_path,
                                                               capsys):
    hr = tmp_path / 'hr'
    hr.mkdir()
    for i in range(3):
        cv2.imwrite(str(hr / f'p{i}.png'), good_rgb(50, 61, i))
    write_kind(str(hr / 'broken'), 'truncated_png')
    write_kind(str(hr / 'notes'), 'text')
    out = tmp_path / 'out'
    prepare_data.main(['--hr', str(hr), '--out', str(out), '--split', 'test',
                       '--scales', '2', '3', '--degradation', 'blur',
                       '--kernel-size', '3', '--sigma', '0.8'])
    printed = capsys.readouterr().out
    assert 'x2: 3 pairs, x3: 3 pairs; skipped 2 bad file(s)' in printed
    assert 'broken.png' in printed and 'notes.png' in printed
    assert sorted(os.listdir(out / 'test')) == ['p0.png', 'p1.png', 'p2.png']
    assert read_image(str(out / 'test' / 'p0.png')).shape == (48, 60, 3)
    assert read_image(str(out / 'test_X3' / 'p0.png')).shape == (16, 20, 3)
    assert not [n for n in os.listdir(out / 'test_X2') if n.startswith('.')]


def test_prepare_data_downup_and_errors(tmp_path, capsys):
    hr = tmp_path / 'hr'
    hr.mkdir()
    cv2.imwrite(str(hr / 'a.png'), good_rgb(32, 32))
    prepare_data.main(['--hr', str(hr), '--out', str(tmp_path / 'o'),
                       '--scales', '4', '--degradation', 'downup'])
    assert read_image(str(tmp_path / 'o' / 'train_X4' / 'a.png')).shape == \
        (32, 32, 3)
    with pytest.raises(SystemExit) as e:
        prepare_data.main(['--hr', str(tmp_path / 'missing'), '--out',
                           str(tmp_path / 'o2')])
    assert e.value.code == 2
    assert 'missing: no such folder' in capsys.readouterr().err
