"""PGAN through the command line: train across a scale change, --resume at
the right scale/alpha/iteration, evaluate grown weights with --load, and
convert a pytorch_GAN_zoo checkpoint (any scale, any alpha)."""
import glob
import os

import cv2
import numpy as np
import paddle
import pytest
import yaml

import ppgan_ext  # noqa: F401
import ppgan_ext.convert.mappings.pgan  # noqa: F401
import ppgan_ext.datasets.image_folder_dataset  # noqa: F401
import ppgan_ext.models.pgan_model  # noqa: F401
from ppgan_ext.config import load_config
from ppgan_ext.convert import ConversionError
from ppgan_ext.convert.tool import convert_checkpoint
from ppgan_ext.io.checkpoint import load_checkpoint
from ppgan_ext.cli import main
from tests.parity_utils import load_case

OPTIM = {'name': 'Adam', 'beta1': 0.0, 'beta2': 0.99}


def _config(tmp_path, depths=(8, 8), iters=(3, 3), latent=8):
    data = tmp_path / 'faces'
    data.mkdir(exist_ok=True)
    rng = np.random.RandomState(0)
    for i in range(12):
        cv2.imwrite(str(data / f'{i:02d}.png'),
                    (rng.rand(10, 10, 3) * 255).astype(np.uint8))
    side = 4 * 2**(len(depths) - 1)
    ds = {'name': 'ImageFolderDataset', 'dataroot': str(data), 'size': side,
          'num_workers': 0}
    cfg = {
        'total_iters': sum(iters),
        'output_dir': str(tmp_path / 'out'),
        'enable_visualdl': False,
        'model': {
            'name': 'PGANModel',
            'generator': {'name': 'PGANGenerator', 'latent_dim': latent},
            'discriminator': {'name': 'PGANDiscriminator'},
            'depth_scales': list(depths),
            'max_iter_at_scale': list(iters),
            'alpha_n_jumps': [0] + [2] * (len(depths) - 1),
            'alpha_size_jumps': [0] + [1] * (len(depths) - 1),
            'max_eval_steps': 2,
            'load_alpha': 0.0,
        },
        'dataset': {'train': dict(ds, batch_size=4, random_hflip=True),
                    'test': dict(ds, batch_size=6)},
        'lr_scheduler': {'name': 'MultiStepDecay', 'learning_rate': 0.001,
                         'milestones': [10**9], 'gamma': 0.5},
        'optimizer': {'optimG': dict(OPTIM, net_names=['generator']),
                      'optimD': dict(OPTIM, net_names=['discriminator'])},
        'validate': {'interval': 1000, 'save_img': False,
                     'metrics': {'swd': {'name': 'LaplacianSWD'}}},
        'log_config': {'interval': 1, 'visiual_interval': 1000},
        'snapshot_config': {'interval': 3},
    }
    path = tmp_path / 'pgan_tiny.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _samples(folder):
    return sorted(glob.glob(os.path.join(folder, 'generated_*.png')))


def test_train_resume_and_evaluate(tmp_path):
    cfg = _config(tmp_path)
    out1, out2 = str(tmp_path / 'run1'), str(tmp_path / 'run2')
    t1 = main(['-c', cfg, '--seed', '3', '-o', 'total_iters=4',
               f'output_dir={out1}'])
    m1 = t1.model
    # iteration 4 is the first one at scale 1 (8x8): alpha 1
    assert (m1.scale, m1.alpha, m1.iter_in_scale) == (1, 1.0, 0)
    ck = load_checkpoint(os.path.join(t1.output_dir,
                                      'iter_4_checkpoint.pdparams'))
    assert ck['model_extra'] == {'scale': 1, 'alpha': 1.0,
                                 'iter_in_scale': 0, 'depths': [8, 8]}
    assert ck['epoch'] == 4
    # the last-iteration validation wrote 64 samples + grid at 8x8
    folder = os.path.join(t1.output_dir, 'samples_iter_4')
    assert len(_samples(folder)) == 64
    assert cv2.imread(os.path.join(folder, 'grid.png')).shape == (64, 64, 3)

    t2 = main(['-c', cfg, '--resume',
               os.path.join(t1.output_dir, 'iter_4_checkpoint.pdparams'),
               '-o', 'total_iters=6', f'output_dir={out2}'])
    m2 = t2.model
    assert m2.current_iter == 6  # ran iterations 5 and 6
    assert (m2.scale, m2.alpha, m2.iter_in_scale) == (1, 0.0, 2)
    assert m2.generator.resolution == 8
    ck2 = load_checkpoint(os.path.join(t2.output_dir,
                                       'iter_6_checkpoint.pdparams'))
    assert ck2['model_extra']['iter_in_scale'] == 2
    opt_keys = [k for k in ck2['optimG'] if 'moment2' in k]
    assert any('pgan_g_s1' in k for k in opt_keys)  # new layers trained

    out3 = str(tmp_path / 'eval')
    t3 = main(['-c', cfg, '--evaluate-only', '--load',
               os.path.join(t2.output_dir, 'iter_6_weight.pdparams'),
               '-o', f'output_dir={out3}'])
    assert t3.model.scale == 1 and t3.model.alpha == 0.0
    files = _samples(t3.output_dir)
    assert len(files) == 64
    assert cv2.imread(files[0]).shape == (8, 8, 3)
    assert cv2.imread(os.path.join(t3.output_dir,
                                   'grid.png')).shape == (64, 64, 3)
    assert np.isfinite(t3.last_metrics['swd'])
    # fixed seed: evaluating the same weights again gives the same images
    grid = cv2.imread(os.path.join(t3.output_dir, 'grid.png'))
    grid4 = t3.model.write_samples(str(tmp_path / 'again'))
    np.testing.assert_array_equal(grid4[..., ::-1], grid)


def test_convert_reference_checkpoint_at_any_scale_and_alpha(tmp_path):
    case, _, x, want = load_case('tiny_pgan_g_alpha025')
    cfg_path = _config(tmp_path, depths=(16, 16, 8, 8), iters=(1, 1, 1, 1),
                       latent=16)
    cfg = load_config(cfg_path)
    src = os.path.join('tests', 'fixtures', 'parity',
                       'tiny_pgan_g_alpha025.pth')
    dst = str(tmp_path / 'converted.pdparams')
    names = convert_checkpoint(cfg, src, dst, log=lambda *a: None)
    assert names == ['generator', 'generator_ema']
    with pytest.raises(ConversionError, match='--net generator'):
        convert_checkpoint(cfg, src, str(tmp_path / 'x.pdparams'),
                           net='discriminator', log=lambda *a: None)
    t = main(['-c', cfg_path, '--evaluate-only', '--load', dst, '-o',
              'model.load_alpha=0.25', 'model.max_eval_steps=1',
              f'output_dir={tmp_path / "eval"}'])
    m = t.model
    assert m.scale == 3 and m.alpha == 0.25
    with paddle.no_grad():
        got = m.generator_ema(paddle.to_tensor(x)).numpy()
    assert np.abs(got - want).max() <= case['suggested_atol']
    assert cv2.imread(os.path.join(t.output_dir,
                                   'generated_0.png')).shape == (32, 32, 3)
