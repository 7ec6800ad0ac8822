"""PGAN sampling: grown scale read from the weights, EMA preferred, seeds
reproducible, latent walks that start and end at the seeds' own faces."""
import os

import numpy as np
import paddle
import pytest
import yaml

import ppgan_ext  # noqa: F401
from ppgan_ext.deploy.pgan_sampler import PGANSampler, slerp
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.models.generators.pgan import PGANGenerator
from tools import pgan_sample


@pytest.fixture
def weights(tmp_path):
    paddle.seed(0)
    live = PGANGenerator(latent_dim=8, depths=[8, 8], out_channels=1)
    ema = PGANGenerator(latent_dim=8, depths=[8, 8], out_channels=1)
    path = tmp_path / 'w.pdparams'
    save_checkpoint({n: {k: v.numpy() for k, v in net.state_dict().items()}
                     for n, net in (('generator', live),
                                    ('generator_ema', ema))}, str(path))
    cfg = tmp_path / 'pgan.yaml'
    cfg.write_text(yaml.safe_dump({'model': {
        'name': 'PGANModel', 'depth_scales': [8, 8, 8],
        'generator': {'name': 'PGANGenerator', 'latent_dim': 8,
                      'out_channels': 1}}}))
    return str(cfg), str(path), ema


def test_samples_come_from_the_ema_at_the_weights_scale(weights):
    cfg, path, ema = weights
    sampler = PGANSampler(cfg, path, engine='dynamic')
    assert sampler.net.num_scales == 2
    images = sampler.sample(3, seed=5)
    assert len(images) == 3 and images[0].shape == (8, 8, 1)
    z = np.random.RandomState(5).standard_normal((3, 8)).astype('float32')
    ema.eval()
    with paddle.no_grad():
        want = ema(paddle.to_tensor(z)).numpy()
    want = np.clip(np.round((want + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(np.stack(images), want.transpose(0, 2, 3, 1))
    again = sampler.sample(3, seed=5)
    np.testing.assert_array_equal(np.stack(images), np.stack(again))


def test_walk_ends_at_each_seeds_sample(weights):
    cfg, path, _ = weights
    sampler = PGANSampler(cfg, path, engine='dynamic')
    walk = sampler.interpolate(1, 2, steps=5)
    assert len(walk) == 5
    np.testing.assert_array_equal(walk[0], sampler.sample(1, 1)[0])
    np.testing.assert_array_equal(walk[-1], sampler.sample(1, 2)[0])
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(np.linalg.norm(slerp(a, b, 0.3)), 1.0)


def test_inference_engine_gives_the_dynamic_graphs_samples(weights):
    """The CPU default (export under Paddle Inference, oneDNN): fp32 equals
    the dynamic graph within one 8-bit level; bf16 where it can run."""
    from ppgan_ext.deploy.precision import bf16_support
    cfg, path, _ = weights
    want = np.stack(PGANSampler(cfg, path, engine='dynamic').sample(6, 3))
    lines = []
    auto = PGANSampler(cfg, path, log=lines.append)
    assert auto.engine == 'inference' and len(lines) == 1
    for precision, bound in (('fp32', 1), ('bf16', 12)):
        if precision == 'bf16' and bf16_support() is None:
            continue  # refused: tests/deploy/test_precision.py
        got = np.stack(PGANSampler(cfg, path, engine='inference',
                                   precision=precision).sample(6, 3))
        assert np.abs(got.astype(int) - want).max() <= bound, precision


def test_cli_writes_images_and_grid(weights, tmp_path):
    cfg, path, _ = weights
    out = tmp_path / 'samples'
    pgan_sample.main(['-c', cfg, '--weights', path, '--out', str(out),
                      '--num', '4', '--zoom', '2'])
    assert sorted(os.listdir(out)) == ['generated_0.png', 'generated_1.png',
                                       'generated_2.png', 'generated_3.png',
                                       'grid.png']


def test_too_many_scales_is_a_clear_error(weights, tmp_path, capsys):
    cfg, path, _ = weights
    small = tmp_path / 'small.yaml'
    data = yaml.safe_load(open(cfg))
    data['model']['depth_scales'] = [8]
    small.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit) as e:
        pgan_sample.main(['-c', str(small), '--weights', path, '--out',
                          str(tmp_path / 'o')])
    assert e.value.code == 2
    assert 'w.pdparams: the weights have 2 PGAN scale(s) but ' \
        'model.depth_scales lists 1' in \
        capsys.readouterr().err
