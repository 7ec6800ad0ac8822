"""read_image: every odd input handled, every bad one refused naming the file."""
import numpy as np
import pytest

from ppgan_ext.io.images import (ImageReadError, image_size, list_images, read_image)
from tests.bad_images import BAD_KINDS, good_rgb, write_kind


@pytest.mark.parametrize('kind', BAD_KINDS)
def test_bad_files_are_refused_with_their_name(tmp_path, kind):
    path = write_kind(str(tmp_path / f'bad_{kind}'), kind)
    with pytest.raises(ImageReadError, match=f'bad_{kind}'):
        read_image(path)


def test_odd_inputs_become_uint8_rgb(tmp_path):
    ref = good_rgb()
    gray = read_image(write_kind(str(tmp_path / 'g'), 'gray'))
    assert gray.shape == (24, 24, 3) and gray.dtype == np.uint8
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    np.testing.assert_array_equal(gray[..., 0], ref[..., 0])  # cv2 wrote B
    rgba = read_image(write_kind(str(tmp_path / 'a'), 'rgba'))
    np.testing.assert_array_equal(rgba, ref[..., ::-1])  # BGR file -> RGB
    g16 = read_image(write_kind(str(tmp_path / 'g16'), 'gray16'))
    np.testing.assert_array_equal(g16[..., 0], ref[..., 0])  # x*257/257
    rgb16 = read_image(write_kind(str(tmp_path / 'c16'), 'rgb16'))
    np.testing.assert_array_equal(rgb16, ref[..., ::-1])
    one = read_image(write_kind(str(tmp_path / 'one'), 'one_pixel'))
    assert one.shape == (1, 1, 3)


def test_channels_and_colour_order(tmp_path):
    path = write_kind(str(tmp_path / 'c'), 'rgb16')
    bgr = read_image(path, to_rgb=False)
    np.testing.assert_array_equal(bgr, good_rgb())
    y = read_image(path, channels=1)
    assert y.shape == (24, 24, 1)
    assert image_size(path) == (24, 24)


def test_list_images_errors_name_the_folder(tmp_path):
    with pytest.raises(ImageReadError, match='nowhere: no such folder'):
        list_images(str(tmp_path / 'nowhere'))
    (tmp_path / 'notes.txt').write_text('x')
    with pytest.raises(ImageReadError, match='contains no images'):
        list_images(str(tmp_path))
