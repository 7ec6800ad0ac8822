"""tools/enhance_faces.py as a user runs it: train a tiny SPARNet, enhance a
real photo with its weights (x2, bicubic and SR-model background), compare
with the trainer's own generator; careless calls fail with one line."""
import importlib.util
import os

import numpy as np
import paddle
import pytest
from ppgan.utils.visual import tensor2img

import ppgan_ext  # noqa: F401
from ppgan_ext.io.images import read_image, write_image
from ppgan_ext.deploy.face_enhance import Background, FaceEnhancer
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.cli import main as train
from tests.predictor_fakes import NearestX2ForTests, write_config
from tests.real_faces import astronaut, group_photo
from tests.tiny_sparnet import ROOT, tiny_sparnet_config


def tool(argv):
    spec = importlib.util.spec_from_file_location(
        'enhance_faces_tool', os.path.join(ROOT, 'tools', 'enhance_faces.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(SystemExit) as e:
        mod.main(argv)
    return e.value.code


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('enhance')
    # instance norm: after 2 steps the output already follows the input
    # (batch norm's running statistics would keep it flat)
    config = tiny_sparnet_config(tmp, norm_type='in')
    with paddle.utils.unique_name.guard():
        trainer = train(['-c', config, '--device', 'cpu', '--seed', '0'])
    weights = os.path.join(trainer.output_dir, 'iter_2_weight.pdparams')
    photos = tmp / 'photos'
    write_image(str(photos / 'astronaut.png'), astronaut())
    write_image(str(photos / 'group.png'), group_photo()[0][:300, :700])
    return tmp, config, weights, trainer, photos


def test_trained_weights_enhance_a_photo_as_the_trainer_would(trained,
                                                              capsys):
    tmp, config, weights, trainer, photos = trained
    out = tmp / 'enhanced'
    assert tool(['-c', config, '--weights', weights, '--input',
                 str(photos), '--out', str(out), '--upscale', '2',
                 '--device', 'cpu']) == 0
    text = capsys.readouterr().out
    assert 'astronaut.png: 1 face(s) enhanced, background bicubic' in text
    assert '2 photo(s) written' in text
    written = read_image(str(out / 'astronaut.png'))
    assert written.shape == (1024, 1024, 3)
    # what the tool wrote is the enhancer's result ...
    res = FaceEnhancer(config, weights, background=Background(2)).enhance(
        astronaut())
    np.testing.assert_array_equal(written, res.image)
    # ... whose restored face is the trained generator's output on the
    # aligned crop, with the training pipeline's [-1, 1] pixels
    net = trainer.model.nets['generator']
    net.eval()
    x = paddle.to_tensor(res.crops[0].transpose(2, 0, 1)[None]
                         .astype('float32') / 127.5 - 1)
    with paddle.no_grad():
        y = net(x)
    own = tensor2img((y[0] if isinstance(y, (list, tuple)) else y)[0],
                     (-1., 1.))
    assert own.std() > 5
    assert np.abs(own.astype(int) - res.restored[0]).max() <= 1


def test_background_from_an_sr_model(trained, tmp_path, capsys):
    tmp, config, weights, _, photos = trained
    bg_cfg = write_config(tmp_path, {'name': 'NearestX2ForTests'})
    bg_w = tmp_path / 'nearest.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   NearestX2ForTests().state_dict().items()}},
                    str(bg_w))
    out = tmp_path / 'out'
    assert tool(['-c', config, '--weights', weights, '--input',
                 str(photos / 'group.png'), '--out', str(out), '--upscale',
                 '2', '--bg-model', bg_cfg, '--bg-weights', str(bg_w),
                 '--bg-tile', '128', '--device', 'cpu']) == 0
    assert 'background NearestX2ForTests x2' in capsys.readouterr().out
    got = read_image(str(out / 'group.png'))
    photo = read_image(str(photos / 'group.png'))
    nearest = np.repeat(np.repeat(photo, 2, 0), 2, 1)
    same = (got == nearest).all(axis=2)
    assert 0.5 < same.mean() < 1.0  # the background is the model's ...
    assert not same[140:260, 360:560].all()  # ... except on the faces


def test_careless_calls_fail_with_one_line(trained, tmp_path, capsys):
    _, config, weights, _, photos = trained
    base = ['-c', config, '--input', str(photos), '--out', str(tmp_path)]
    assert tool(base + ['--weights', weights, '--bg-model', 'rdn_x4']) == 2
    assert capsys.readouterr().err == \
        'error: --bg-model rdn_x4: give its --bg-weights too\n'
    assert tool(base + ['--weights', weights, '--upscale', '0']) == 2
    assert capsys.readouterr().err == 'error: --upscale 0: must be >= 1\n'
    assert tool(base + ['--weights', weights, '--aligned', '--upscale',
                        '2']) == 2
    assert capsys.readouterr().err.startswith('error: --aligned restores')
    # the face model's weights given as the background's
    assert tool(base + ['--weights', weights, '--upscale', '4', '--bg-model',
                        'rdn_x4', '--bg-weights', weights]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and \
        weights in err[0]
    assert tool(base + ['--weights', str(tmp_path / 'missing.pdparams')]) \
        == 2
    assert 'missing.pdparams' in capsys.readouterr().err
    assert tool(base + ['--weights', weights, '--backend', 'dlib']) == 2
    assert "backend 'dlib'" in capsys.readouterr().err
    assert not any(p.suffix == '.png' for p in tmp_path.iterdir())
