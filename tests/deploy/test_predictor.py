"""tools/inference.py / ppgan_ext.predict: tiling, colour order, odd inputs."""
import os

import cv2
import numpy as np
import paddle
import pytest

import ppgan_ext
from ppgan_ext.deploy.predictor import SRPredictor
from ppgan_ext.deploy.tiling import tiled_apply
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.models.generators.rdn import RDN
from tests.bad_images import good_rgb, write_kind
from tests.predictor_fakes import NearestX2ForTests, write_config
from tools import inference


def test_tiled_equals_untiled_for_rdn():
    paddle.seed(1)
    net = RDN(num_features=8, num_blocks=1, num_layers=1, growth_rate=8,
              scale=2)
    net.eval()

    def run(chw):
        with paddle.no_grad():
            return net(paddle.to_tensor(chw[None])).numpy()[0]

    img = np.random.RandomState(0).rand(3, 41, 53).astype(np.float32)
    whole = run(img)
    for tile in (8, 16, 25):
        tiled = tiled_apply(run, img, 2, tile=tile, overlap=10)
        assert tiled.shape == whole.shape
        assert np.abs(tiled - whole).max() <= 1e-4, tile
    # too little overlap shows seams: the margin is what makes it exact
    seamy = tiled_apply(run, img, 2, tile=8, overlap=0)
    assert np.abs(seamy - whole).max() > 1e-3


def test_predict_keeps_colour_order_names_and_handles_odd_inputs(tmp_path):
    cfg = write_config(tmp_path, {'name': 'NearestX2ForTests'})
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {
        k: v.numpy() for k, v in NearestX2ForTests().state_dict().items()}},
        str(weights))
    src = tmp_path / 'in'
    src.mkdir()
    bgr = good_rgb(10, 12)
    cv2.imwrite(str(src / 'colour.png'), bgr)
    cv2.imwrite(str(src / 'photo.jpg'), bgr)
    for kind in ('gray', 'rgba', 'gray16', 'rgb16', 'one_pixel'):
        write_kind(str(src / kind), kind)
    write_kind(str(src / 'broken'), 'text')
    out = tmp_path / 'out'
    written, skipped = ppgan_ext.predict(cfg, str(weights), [str(src)],
                                         str(out), log=lambda *_: None)
    assert len(written) == 7 and len(skipped) == 1
    assert 'broken.png' in skipped[0]
    assert sorted(os.listdir(out)) == sorted(
        ['colour.png', 'photo.jpg', 'gray.png', 'rgba.png', 'gray16.png',
         'rgb16.png', 'one_pixel.png'])
    got = cv2.imread(str(out / 'colour.png'))
    np.testing.assert_array_equal(got, np.repeat(np.repeat(bgr, 2, 0), 2, 1))
    gray = cv2.imread(str(out / 'gray16.png'))
    assert gray.shape == (48, 48, 3)
    np.testing.assert_array_equal(gray[::2, ::2, 0], good_rgb()[..., 0])
    assert cv2.imread(str(out / 'one_pixel.png')).shape == (2, 2, 3)


def test_predictor_tiles_and_uses_ema_weights(tmp_path):
    gen = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
           'growth_rate': 8, 'scale': 3}
    cfg = write_config(tmp_path, gen)
    paddle.seed(0)
    live, ema = RDN(**{k: v for k, v in gen.items() if k != 'name'}), \
        RDN(**{k: v for k, v in gen.items() if k != 'name'})
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   live.state_dict().items()},
                     'generator_ema': {k: v.numpy() for k, v in
                                       ema.state_dict().items()}},
                    str(weights))
    pred = SRPredictor(cfg, str(weights), precision='fp32')
    assert pred.scale == 3
    for a, b in zip(pred.net.parameters(), ema.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    img = good_rgb(30, 37)
    whole = pred.predict(img)
    pred.tile, pred.overlap = 12, 10
    assert np.abs(pred.predict(img).astype(int) - whole).max() <= 1


def test_inference_engine_equals_dynamic_graph_tiled_or_not(tmp_path):
    """The CPU default (export under Paddle Inference, oneDNN) gives the
    dynamic graph's result, also over tiles of several shapes."""
    gen = {'name': 'SPARNet', 'min_ch': 8, 'max_ch': 16, 'in_size': 32,
           'out_size': 32, 'min_feat_size': 8, 'res_depth': 1,
           'bottleneck_size': 8, 'hourglass_width': 8}
    cfg = write_config(tmp_path, gen, model='SPARNetModel')
    paddle.seed(0)
    from ppgan.models.generators.builder import build_generator
    net = build_generator(dict(gen))
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(weights))
    auto = SRPredictor(cfg, str(weights), precision='fp32')
    dynamic = SRPredictor(cfg, str(weights), engine='dynamic')
    assert auto.engine == 'inference'  # tests run on CPU
    chw = np.random.RandomState(0).uniform(-1, 1, (3, 72, 60)).astype(
        np.float32)
    assert np.abs(auto._run(chw) - dynamic._run(chw)).max() <= 1e-4
    # tiles of 4 shapes through one predictor (SPARNet's receptive field is
    # the whole face: tiles are compared with tiles, not with the image)
    tiled = [tiled_apply(p._run, chw, 1, tile=32, overlap=16)
             for p in (auto, dynamic)]
    assert np.abs(tiled[0] - tiled[1]).max() <= 1e-4
    with pytest.raises(ValueError, match="engine must be one of"):
        SRPredictor(cfg, str(weights), engine='onnx')


def test_cli_errors_are_clear(tmp_path, capsys):
    cfg = write_config(tmp_path, {'name': 'NearestX2ForTests'})
    with pytest.raises(SystemExit) as e:
        inference.main(['-c', cfg, '--weights', str(tmp_path / 'none.pdparams'),
                        '--input', str(tmp_path), '--out', str(tmp_path / 'o')])
    assert e.value.code == 2
    assert 'none.pdparams: no such checkpoint' in capsys.readouterr().err


@pytest.mark.parametrize('other, message', [
    ({'num_blocks': 2}, r'does not fit .*: 4 unexpected \(e.g. blocks.1.'),
    ({'num_features': 16}, r'does not fit .*mis-shaped .*e.g. '
                           r'sfe1.weight \[16, 3, 3, 3\] vs \[8, 3, 3, 3\]'),
])
def test_weights_of_another_shape_are_refused(tmp_path, other, message):
    gen = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
           'growth_rate': 8, 'scale': 2}
    net = RDN(**dict({k: v for k, v in gen.items() if k != 'name'}, **other))
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(weights))
    with pytest.raises(ValueError, match=r'w.pdparams: generator: ' + message):
        SRPredictor(write_config(tmp_path, gen), str(weights))


def test_cli_names_weights_that_do_not_fit(tmp_path, capsys):
    gen = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
           'growth_rate': 8, 'scale': 2}
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {'sfe1.weight': np.zeros((8, 3, 3, 3),
                                                          np.float32)}},
                    str(weights))
    with pytest.raises(SystemExit) as e:
        inference.main(['-c', write_config(tmp_path, gen), '--weights',
                        str(weights), '--input', str(tmp_path), '--out',
                        str(tmp_path / 'o')])
    assert e.value.code == 2
    assert 'w.pdparams: generator: does not fit this network' in \
        capsys.readouterr().err


def test_auto_engine_falls_back_when_the_export_fails(tmp_path, monkeypatch):
    from ppgan_ext.deploy import predictor as predictor_module
    cfg = write_config(tmp_path, {'name': 'NearestX2ForTests'})
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {
        k: v.numpy() for k, v in NearestX2ForTests().state_dict().items()}},
        str(weights))

    def failing(*_):
        raise RuntimeError('cannot trace this')

    monkeypatch.setattr(predictor_module, 'cached_predictor', failing)
    chw = np.random.RandomState(0).rand(3, 4, 5).astype(np.float32)
    pred = SRPredictor(cfg, str(weights))
    with pytest.warns(UserWarning, match='cannot trace this.*dynamic graph'):
        got = pred._run(chw)
    np.testing.assert_array_equal(got, upsample(chw))
    assert pred.engine == 'dynamic'
    with pytest.raises(RuntimeError, match='cannot trace this'):
        SRPredictor(cfg, str(weights), engine='inference')._run(chw)


def upsample(chw):
    return np.repeat(np.repeat(chw, 2, axis=1), 2, axis=2)
