"""User path, face models (SPARNet, SPARNet-Light-Attn3D, SPARNetHD): convert
reference weights (the tiny parity checkpoints: random weights whose
outputs depend visibly on the input, which a net trained for seconds from
its own init does not), fine-tune a few iterations on real faces, then
every tool on the saved weights gives the Trainer's own validation images: ``tools/inference.py`` (dynamic graph
and Paddle Inference) on the model's input and -- SPARNet -- on the LR face
itself (up-sampled as the dataset does), ``tools/enhance_faces.py
--aligned``, ``ppgan_ext.predict`` and the exported model.

Before this test existed, the face models wrote black images outside the
Trainer: their pixels live in [-1, 1] and the tools fed them [0, 1].
"""
import glob
import os

import numpy as np
import pytest

import ppgan_ext
from ppgan_ext.datasets.face_transforms import lr_from_hr, square_resize
from ppgan_ext.io.images import write_image
from ppgan_ext.io.visuals import to_model_range, to_uint8
from tests.parity_utils import case_path
from tests.real_faces import write_lfw_faces
from tests.user_paths import (assert_same_image, export_run, read_rgb,
                              run_export, run_tool, train, trainer_images,
                              weights_of)

ITERS = 2
TINY_SPARNET = ['model.generator.min_ch=8', 'model.generator.max_ch=16',
                'model.generator.in_size=32', 'model.generator.out_size=32',
                'model.generator.min_feat_size=8',
                'model.generator.res_depth=0',
                'model.generator.bottleneck_size=8',
                'model.generator.hourglass_width=8']
SPARNET_DATA = ['dataset.train.gt_size=32', 'dataset.train.scale=4',
                'dataset.test.gt_size=32', 'dataset.test.scale=4',
                'dataset.train.batch_size=2']
LENGTH = [f'total_iters={ITERS}', f'snapshot_config.interval={ITERS}']
# (config, face size, LR factor or None, overrides, folder key, weights)
FAMILIES = {
    'sparnet': ('configs/sparnet_demo.yaml', 32, 4,
                TINY_SPARNET + SPARNET_DATA + LENGTH, 'folder',
                'tiny_sparnet'),
    # trained by epochs, as the paper's configs are: 4 faces, batch 2
    'sparnet_light_attn3d': ('configs/sparnet_light_attn3d.yaml', 32, 4,
                             TINY_SPARNET + SPARNET_DATA + ['epochs=1'],
                             'folder', 'tiny_sparnet_attn3d'),
    'sparnethd': ('configs/sparnethd_demo.yaml', 64, None, [
        "model.perceptual_criterion.layer_weights={'3': 1.0}"] + LENGTH,
        'gt_folder', 'tiny_sparnethd'),
}


@pytest.fixture(scope='module', params=sorted(FAMILIES))
def trained(request, tmp_path_factory):
    config, size, lr_scale, tiny, key, case = FAMILIES[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    train_dir = write_lfw_faces(tmp / 'train', range(4), size)
    test_dir = write_lfw_faces(tmp / 'test', range(90, 92), size)
    converted = str(tmp / 'converted.pdparams')
    code, log = run_tool('convert_weights', [
        '-c', config, '-o', *tiny, '--src', case_path(case, '.pth'),
        '--dst', converted])
    assert code == 0, log
    _, run = train(config, str(tmp / 'out'), tiny + [
        f'dataset.train.{key}={train_dir}', f'dataset.test.{key}={test_dir}',
        f'validate.interval={ITERS}', 'validate.save_img=true',
        'log_config.interval=1'], extra=['--load', converted])
    outputs = trainer_images(run, 'output')
    inputs, lr = {}, {}
    for name, path in trainer_images(run, 'lq').items():
        inputs[name] = os.path.join(tmp, 'inputs', f'{name}.png')
        write_image(inputs[name], read_rgb(path))  # the network's input
        # the LR face the dataset made it from (bicubic x1/scale, then up)
        hr = square_resize(read_rgb(os.path.join(test_dir, f'{name}.png')),
                           size)
        lr[name] = os.path.join(tmp, 'lr', f'{name}.png')
        write_image(lr[name], lr_from_hr(hr, lr_scale or 4)[0])
    return dict(run=run, tmp=tmp, outputs=outputs, lr=lr, inputs=inputs,
                lr_scale=lr_scale, weights=weights_of(run))


def _check_folder(folder, trained, what):
    for name, want in trained['outputs'].items():
        assert_same_image(os.path.join(folder, f'{name}.png'), want,
                          f'{what} {name}')


@pytest.mark.parametrize('engine', ['dynamic', 'inference'])
def test_inference_tool_gives_the_validation_images(trained, engine):
    out = os.path.join(trained['tmp'], f'infer_{engine}')
    code, log = run_tool('inference', [
        '--weights', trained['weights'], '--input',
        *trained['inputs'].values(), '--out', out, '--engine', engine])
    assert code == 0, log
    _check_folder(out, trained, engine)


def test_lr_faces_are_upsampled_as_the_dataset_does(trained):
    out = os.path.join(trained['tmp'], 'infer_lr')
    code, log = run_tool('inference', [
        '--weights', trained['weights'], '--input', *trained['lr'].values(),
        '--out', out, '--engine', 'dynamic'])
    if trained['lr_scale']:
        assert code == 0, log
        _check_folder(out, trained, 'LR input')
    else:  # SPARNetHD restores degraded faces of its own size only
        assert code == 2, log
        assert 'input: SPARNet restores 64x64 faces; crop the face' in log
        assert 'Traceback' not in log and not os.path.exists(out)


def test_enhance_faces_aligned_gives_the_validation_images(trained):
    out = os.path.join(trained['tmp'], 'enhance')
    code, log = run_tool('enhance_faces', [
        '--weights', trained['weights'], '--input',
        *trained['inputs'].values(), '--out', out, '--aligned'])
    assert code == 0, log
    _check_folder(out, trained, 'enhance_faces --aligned')


def test_predict_api_and_export_give_the_validation_images(trained):
    out = os.path.join(trained['tmp'], 'api')
    written, _ = ppgan_ext.predict(None, trained['weights'],
                                   list(trained['inputs'].values()), out,
                                   log=lambda *_: None)
    assert len(written) == len(trained['inputs'])
    _check_folder(out, trained, 'predict')
    prefix, info = export_run(trained)
    assert info['value_range'] == [-1.0, 1.0]
    for name, path in trained['inputs'].items():
        x = to_model_range(read_rgb(path), info['value_range'])[None]
        got = to_uint8(run_export(prefix, x)[0], info['value_range'])
        assert_same_image(got, trained['outputs'][name], f'export {name}')


def test_every_validation_visual_goes_to_visualdl(trained):
    """Attention maps, the comparison strip and (SPARNetHD) the EMA output
    are in VisualDL as they are on disk."""
    import cv2
    from visualdl import LogReader
    saved = {os.path.basename(p).split('_', 1)[1].rsplit('.', 1)[0]
             for p in os.listdir(os.path.join(trained['run'], 'visual_test'))}
    kinds = {k.split('_', 2)[-1] for k in saved}  # lfw_090_attention_0 -> ...
    assert {'lq', 'gt', 'output'} <= kinds
    reader = LogReader(file_path=glob.glob(
        os.path.join(trained['run'], 'vdlrecords*'))[0])
    tags = set(reader.get_tags()['image'])
    assert {f'val/{k}' for k in kinds} <= tags, (kinds, tags)
    logged = reader.get_data('image', 'val/output')[-1].image
    img = cv2.imdecode(np.frombuffer(logged.encoded_image_string, np.uint8),
                       cv2.IMREAD_COLOR)[..., ::-1]
    assert any(np.array_equal(img, read_rgb(p))
               for p in trained['outputs'].values())
