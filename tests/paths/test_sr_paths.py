"""User path, SR models (RDN, PaddleGAN's ESRGAN): train a few iterations on
the embedded photos, then every tool on the saved weights -- inference
(dynamic graph and Paddle Inference, whole and tiled), ``ppgan_ext.predict``
and the exported model -- gives the Trainer's own validation images.

The tools get no ``-c``: the run folder's ``config.yaml`` (with the tiny
``-o`` overrides the run was trained with) is what they use.
"""
import os

import pytest

import ppgan_ext
from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.visuals import to_model_range, to_uint8
from tests.user_paths import (ROOT, assert_close_image, assert_same_image,
                              export_run, read_rgb, run_export, run_tool,
                              train, trainer_images, weights_of)

FAMILIES = {
    'rdn': ('configs/rdn_x2_demo.yaml', 2, [
        'model.generator.num_features=8', 'model.generator.num_blocks=2',
        'model.generator.num_layers=2', 'model.generator.growth_rate=8',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size=24']),
    'esrgan': ('configs/esrgan_psnr_x4_demo.yaml', 4, [
        'model.generator.nf=8', 'model.generator.nb=1',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size=32']),
}
ITERS = 2


@pytest.fixture(scope='module', params=sorted(FAMILIES))
def trained(request, tmp_path_factory):
    config, scale, tiny = FAMILIES[request.param]
    data = build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)
    out = tmp_path_factory.mktemp(request.param)
    _, run = train(config, str(out), tiny + [
        f'total_iters={ITERS}', 'dataset.train.batch_size=2',
        f'validate.interval={ITERS}', 'validate.save_img=true',
        f'snapshot_config.interval={ITERS}', 'log_config.interval=1'])
    lr = {name: os.path.join(data, f'test_X{scale}', f'{name}.png')
          for name in trainer_images(run, 'output')}
    return dict(run=run, lr=lr, tmp=out, scale=scale,
                outputs=trainer_images(run, 'output'),
                weights=weights_of(run))


@pytest.mark.parametrize('engine, tile', [('dynamic', None), ('dynamic', 24),
                                          ('inference', None),
                                          ('inference', 24)])
def test_inference_tool_gives_the_validation_images(trained, engine, tile):
    out = os.path.join(trained['tmp'], f'infer_{engine}_{tile}')
    argv = ['--weights', trained['weights'], '--input',
            *trained['lr'].values(), '--out', out, '--engine', engine,
            '--precision', 'fp32']
    if tile:
        argv += ['--tile', str(tile), '--tile-overlap', '32']
    code, log = run_tool('inference', argv)
    assert code == 0, log
    for name, want in trained['outputs'].items():
        assert_same_image(os.path.join(out, f'{name}.png'), want,
                          f'{engine} tile={tile} {name}')


def test_auto_precision_stays_close_to_the_validation_images(trained):
    """``--precision auto`` may run bf16 (a CPU with bf16, a model on the
    allow list): no longer bit-equal, still close to the trainer's fp32."""
    out = os.path.join(trained['tmp'], 'infer_auto')
    code, log = run_tool('inference', ['--weights', trained['weights'],
                                       '--input', *trained['lr'].values(),
                                       '--out', out])
    assert code == 0, log
    for name, want in trained['outputs'].items():
        assert_close_image(os.path.join(out, f'{name}.png'), want, 35, name)


def test_predict_api_gives_the_validation_images(trained):
    out = os.path.join(trained['tmp'], 'api')
    written, skipped = ppgan_ext.predict(None, trained['weights'],
                                         list(trained['lr'].values()), out,
                                         log=lambda *_: None,
                                         precision='fp32')
    assert len(written) == len(trained['lr']) and not skipped
    for name, want in trained['outputs'].items():
        assert_same_image(os.path.join(out, f'{name}.png'), want, name)


def test_exported_model_gives_the_validation_images(trained):
    prefix, info = export_run(trained)
    value_range = tuple(info['value_range'])
    assert value_range == (0.0, 1.0) and info['input'] == 'image'
    for name, lr in trained['lr'].items():
        x = to_model_range(read_rgb(lr), value_range)[None]
        got = to_uint8(run_export(prefix, x)[0], value_range)
        assert_same_image(got, trained['outputs'][name], name)


def untrained_face_model(tmp):
    """A tiny SPARNet config and its initial weights (the face half of
    enhance_faces, unused where no face is found)."""
    from ppgan.models.generators.builder import build_generator

    from ppgan_ext.io.checkpoint import save_checkpoint
    from tests.tiny_sparnet import TINY_G, tiny_sparnet_config
    config = tiny_sparnet_config(tmp)
    net = build_generator(dict(TINY_G))
    weights = str(tmp / 'face.pdparams')
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, weights)
    return config, weights


def test_enhance_faces_background_is_the_trained_sr_model(trained, tmp_path):
    """enhance_faces --upscale with the run's weights as the background:
    on a photo without faces every pixel is the SR model's, i.e. the
    Trainer's own validation image (the model from the run's config.yaml,
    tiled as inference.tile says)."""
    face_config, face_weights = untrained_face_model(tmp_path)
    out = tmp_path / 'enhanced'
    code, log = run_tool('enhance_faces', [
        '-c', face_config, '--weights', face_weights, '--input',
        trained['lr']['chelsea'], '--out', str(out), '--upscale',
        str(trained['scale']), '--bg-weights', trained['weights'],
        '--precision', 'fp32', '--device', 'cpu'])
    assert code == 0, log
    assert '0 face(s) enhanced' in log, log
    assert_same_image(str(out / 'chelsea.png'), trained['outputs']['chelsea'],
                      'chelsea')
