"""Whole-photo face enhancement: faces aligned, restored and warped back
into the (upscaled) background; every other pixel is the background's."""
import numpy as np
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.config import ConfigError
from ppgan_ext.io.images import bicubic_resize
from ppgan_ext.deploy.face_enhance import Background, FaceEnhancer
from ppgan_ext.io.checkpoint import save_checkpoint
from tests.predictor_fakes import (InvertFacesForTests, NearestX2ForTests,
                                   write_config)
from tests.real_faces import ASTRONAUT_FACE, astronaut, group_photo


def _saved(tmp_path, net, name):
    path = tmp_path / f'{name}.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(path))
    return str(path)


@pytest.fixture(scope='module')
def inverter(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('inverter')
    cfg = write_config(tmp, {'name': 'InvertFacesForTests', 'in_size': 64},
                       model='SPARNetModel')
    return cfg, _saved(tmp, InvertFacesForTests(64), 'invert')


@pytest.fixture(scope='module')
def nearest_x2(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('nearest')
    cfg = write_config(tmp, {'name': 'NearestX2ForTests'})
    return cfg, _saved(tmp, NearestX2ForTests(), 'nearest')


def test_faces_are_replaced_and_the_rest_untouched(inverter):
    photo = astronaut()
    enhancer = FaceEnhancer(*inverter)
    assert enhancer.template == 'celeba' and enhancer.size == 64
    res = enhancer.enhance(photo, keep_layers=True)
    assert len(res.faces) == 1 and res.image.shape == photo.shape
    np.testing.assert_array_equal(res.background, photo)
    assert res.crops[0].shape == res.restored[0].shape == (64, 64, 3)
    np.testing.assert_array_equal(res.restored[0], 255 - res.crops[0])
    # inverted where the face is, exactly the photo where no mask reaches
    outside = res.alpha == 0
    np.testing.assert_array_equal(res.image[outside], photo[outside])
    inside = res.alpha == 1
    cx, cy = map(int, ASTRONAUT_FACE)
    assert inside[cy, cx]
    diff = res.image[inside].astype(int) - (255 - photo[inside].astype(int))
    assert np.abs(diff).mean() < 15  # a 64 px crop of a 90 px face
    # the plain call gives the same image without the layers
    plain = enhancer.enhance(photo)
    np.testing.assert_array_equal(plain.image, res.image)
    assert plain.alpha is None and plain.background is None


@pytest.mark.parametrize('upscale', [2, 3])
def test_upscaled_background_from_an_sr_model(inverter, nearest_x2, upscale):
    photo, _ = group_photo()
    photo = photo[:300, :700]
    bg = Background(upscale, *nearest_x2)
    res = FaceEnhancer(*inverter, background=bg).enhance(photo,
                                                         keep_layers=True)
    h, w = photo.shape[:2]
    assert res.image.shape == (h * upscale, w * upscale, 3)
    if upscale == 2:  # the model's own scale: its output as it is
        np.testing.assert_array_equal(
            res.background, np.repeat(np.repeat(photo, 2, 0), 2, 1))
    assert len(res.faces) >= 3
    outside = res.alpha == 0
    np.testing.assert_array_equal(res.image[outside],
                                  res.background[outside])
    assert (res.alpha == 1).sum() > 0
    for face in res.faces:  # every face's centre is restored
        cy = int((face.top + face.size / 2) * upscale)
        cx = int((face.left + face.size / 2) * upscale)
        assert res.alpha[cy, cx] == 1


def test_bicubic_background(inverter):
    photo = astronaut()
    res = FaceEnhancer(*inverter, background=Background(2)).enhance(
        photo, keep_layers=True)
    np.testing.assert_array_equal(res.background,
                                  bicubic_resize(photo, (1024, 1024)))
    outside = res.alpha == 0
    np.testing.assert_array_equal(res.image[outside],
                                  res.background[outside])


def test_progress_bar_only_on_a_terminal(inverter, capsys, monkeypatch):
    enhancer = FaceEnhancer(*inverter)
    enhancer.enhance(astronaut())
    assert 'face' not in capsys.readouterr().err  # not a terminal here
    import ppgan_ext.progress
    monkeypatch.setattr(ppgan_ext.progress, 'bars_enabled', lambda: True)
    enhancer.enhance(astronaut())
    assert 'faces:' in capsys.readouterr().err


def test_crops_are_made_at_the_face_models_own_size(tmp_path):
    """SPARNet (in_size 128) and SPARNetHD (512) get crops of their size."""
    from ppgan.models.generators.builder import build_generator
    gen = {'name': 'SPARNet', 'min_ch': 8, 'max_ch': 16, 'in_size': 64,
           'out_size': 64, 'min_feat_size': 16, 'res_depth': 1,
           'bottleneck_size': 8, 'hourglass_width': 8}
    cfg = write_config(tmp_path, gen, model='SPARNetModel')
    enhancer = FaceEnhancer(cfg, _saved(tmp_path, build_generator(dict(gen)),
                                        'sparnet'))
    assert enhancer.size == 64 and enhancer.predictor.scale == 1
    assert FaceEnhancer(cfg, str(tmp_path / 'sparnet.pdparams'),
                        template='ffhq').template == 'ffhq'


def test_bad_upscale_and_models_of_the_wrong_kind(nearest_x2, inverter):
    with pytest.raises(ConfigError, match='--upscale 0: must be an integer'):
        Background(0)
    with pytest.raises(ConfigError, match='NearestX2ForTests .x2. is not a '
                       'face model'):
        FaceEnhancer(*nearest_x2)
    with pytest.raises(ConfigError, match='InvertFacesForTests is a face '
                       'model'):
        Background(2, *inverter)
