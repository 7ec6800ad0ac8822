"""PaddleGAN-style configs (ppgan's SRDataset + LoadImageFromFile, ppgan's
PerceptualLoss) through tools/main.py as a user runs them: a truncated image,
a pair that does not fit the scale and an offline VGG each stop the run with
exit code 2 and one line naming the culprit; with local VGG weights the
ESRGAN config trains."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import yaml

from ppgan_ext.io.checkpoint import save_checkpoint
from tests.bad_images import good_rgb, write_kind
from tests.paddlegan_style import with_paddlegan_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, 'configs', 'esrgan_psnr_x4_demo.yaml')
VGG_LAYER = '2'  # conv1_2: a small weight file is enough


def pairs(tmp_path, n=4, lr_side=32):
    """``n`` LR/HR pairs (x4) in tmp_path/lq, tmp_path/gt."""
    lq, gt = tmp_path / 'lq', tmp_path / 'gt'
    lq.mkdir()
    gt.mkdir()
    for i in range(n):
        cv2.imwrite(str(lq / f'{i}.png'), good_rgb(lr_side, lr_side, i))
        cv2.imwrite(str(gt / f'{i}.png'),
                    good_rgb(4 * lr_side, 4 * lr_side, i))
    return lq, gt


def paddlegan_config(tmp_path, lq, gt, esrgan=None):
    """configs/esrgan_psnr_x4_demo.yaml with PaddleGAN's names (or, with
    ``esrgan``, ppgan's GAN model), a tiny RRDBNet, two iterations."""
    cfg = yaml.safe_load(open(DEMO))
    for split in ('train', 'test'):
        cfg['dataset'][split] = with_paddlegan_names(cfg['dataset'][split])
        cfg['dataset'][split].update(lq_folder=str(lq), gt_folder=str(gt))
    cfg['model']['generator'].update(nf=4, nb=1)
    cfg.update(total_iters=2, output_dir=str(tmp_path / 'out'),
               min_max='(0., 1.)')  # as PaddleGAN's configs state it
    cfg['log_config']['interval'] = 1
    cfg['validate']['interval'] = cfg['snapshot_config']['interval'] = 2
    if esrgan is not None:
        cfg['model'] = {
            'name': 'ESRGAN', 'generator': cfg['model']['generator'],
            'discriminator': {'name': 'VGGDiscriminator128',
                              'in_channels': 3, 'num_feat': 4},
            'pixel_criterion': {'name': 'L1Loss', 'loss_weight': 0.01},
            'perceptual_criterion': {'name': 'PerceptualLoss',
                                     'layer_weights': {VGG_LAYER: 1.0},
                                     'style_weight': 0.0, 'norm_img': False,
                                     **esrgan},
            'gan_criterion': {'name': 'GANLoss', 'gan_mode': 'vanilla',
                              'loss_weight': 0.005}}
        cfg['optimizer'] = {
            f'optim{k}': {'name': 'Adam', 'net_names': [net], 'beta1': 0.9,
                          'beta2': 0.99}
            for k, net in (('G', 'generator'), ('D', 'discriminator'))}
        cfg['find_unused_parameters'] = True
        cfg['dataset']['train']['batch_size'] = 2
        crop = cfg['dataset']['train']['preprocess'][2]['pipeline'][0]
        crop['gt_patch_size'] = 128  # the discriminator's input size
    path = tmp_path / 'paddlegan_style.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def run_main(config, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))  # an empty ~/.cache/ppgan
    return subprocess.run([sys.executable, 'tools/main.py', '-c', config],
                          cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=600)


def assert_one_line_error(proc, *named):
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stderr.count('\n') == 1, proc.stderr
    assert proc.stderr.startswith('error: ')
    for part in named:
        assert part in proc.stderr
    for noise in ('Traceback', 'fail to perform', 'Fail to initial'):
        assert noise not in proc.stdout + proc.stderr


def test_truncated_image_is_named(tmp_path):
    lq, gt = pairs(tmp_path)
    bad = write_kind(str(lq / 'z'), 'truncated_png', size=32)  # header intact
    cv2.imwrite(str(gt / 'z.png'), good_rgb(128, 128))
    proc = run_main(paddlegan_config(tmp_path, lq, gt), tmp_path)
    assert_one_line_error(proc, f'{bad}: image data is truncated')


def test_pair_that_does_not_fit_the_scale_is_named_before_training(tmp_path):
    lq, gt = pairs(tmp_path)
    cv2.imwrite(str(lq / '2.png'), good_rgb(30, 32))
    proc = run_main(paddlegan_config(tmp_path, lq, gt), tmp_path)
    assert_one_line_error(proc, f'{lq}/2.png: LR size 32x30 does not match '
                          f'HR {gt}/2.png 128x128 at scale 4')
    assert 'Iter:' not in proc.stdout


def test_perceptual_loss_offline_points_to_vgg_weights(tmp_path):
    lq, gt = pairs(tmp_path)
    proc = run_main(paddlegan_config(tmp_path, lq, gt, esrgan={}), tmp_path)
    assert_one_line_error(proc, 'PerceptualLoss', 'vgg_weights',
                          'LocalPerceptualLoss',
                          'https://paddlegan.bj.bcebos.com/models/'
                          'vgg19.pdparams')


@pytest.fixture
def small_vgg19(tmp_path):
    """VGG19 ``features`` 0..2 (conv1_1, conv1_2), random."""
    rng = np.random.RandomState(0)
    shapes = {'0.weight': (64, 3, 3, 3), '0.bias': (64, ),
              '2.weight': (64, 64, 3, 3), '2.bias': (64, )}
    path = tmp_path / 'vgg19_small.pdparams'
    save_checkpoint({f'features.{k}': (rng.randn(*shape) * 0.05).astype(
        'float32') for k, shape in shapes.items()}, str(path))
    return str(path)


def test_perceptual_loss_with_local_vgg_weights_trains(tmp_path, small_vgg19):
    lq, gt = pairs(tmp_path)
    proc = run_main(paddlegan_config(tmp_path, lq, gt,
                                     esrgan={'vgg_weights': small_vgg19}),
                    tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'Iter: 2/2' in proc.stdout and 'loss_percep' in proc.stdout
    assert proc.stderr == ''
