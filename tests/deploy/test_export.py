"""Every generator exports with dynamic shapes and runs under Paddle
Inference with oneDNN, matching the dynamic graph within 1e-4 (ppgan's
RRDBNet too, through its export form)."""
import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
from ppgan.models.generators.rrdb_net import RRDBNet
from ppgan_ext.deploy.export import (export_error, export_generator,
                                     sample_input)
from ppgan_ext.deploy.onnx_export import export_onnx
from ppgan_ext.models.generators.pgan import PGANGenerator
from ppgan_ext.models.generators.rdn import RDN
from ppgan_ext.models.generators.sparnet import SPARNet

TINY_SPARNET = dict(min_ch=8, max_ch=16, in_size=32, out_size=32,
                    min_feat_size=8, res_depth=1, norm_type='bn',
                    att_name='spar', bottleneck_size=8, hourglass_width=8)


ONNX_CHECKED = ('rdn_x4', 'sparnet', 'pgan', 'esrgan')


def nets():
    paddle.seed(0)
    pgan = PGANGenerator(latent_dim=16, depths=[16, 8, 8])
    pgan.set_alpha(0.25)
    return {
        'rdn_x4': (RDN(num_features=8, num_blocks=2, num_layers=2,
                       growth_rate=8, scale=4), 12),
        'rdn_seed_x3': (RDN(num_features=8, num_blocks=3, num_layers=2,
                            growth_rate=8, scale=3, upsampler='seed'), 10),
        'sparnet': (SPARNet(**TINY_SPARNET), 24),  # odd-size hourglass maps
        'sparnethd3d': (SPARNet(**dict(TINY_SPARNET, norm_type='in',
                                       att_name='spar3d',
                                       spectral_norm=True)), 32),
        'pgan': (pgan, None),
        'esrgan': (RRDBNet(3, 3, 8, 1, gc=4), 10),
    }


@pytest.mark.parametrize('name', list(nets()))
def test_export_round_trip(tmp_path, name):
    net, size = nets()[name]
    if name == 'sparnethd3d':
        # converge the spectral-norm vectors as training would; with the
        # random initial u, v, sigma is arbitrary and outputs explode
        net.train()
        with paddle.no_grad():
            for _ in range(10):
                net(paddle.to_tensor(sample_input(net, 2, size)))
    net.eval()
    prefix = export_generator(net, str(tmp_path / name / 'model'))
    samples = [sample_input(net, batch=b, size=s)
               for b, s in ((1, size), (2, size and size + 4))]
    for mkldnn in (True, False):
        assert export_error(net, prefix, samples, mkldnn=mkldnn)[0] <= 1e-4
    if name in ONNX_CHECKED:  # paddle2onnx takes ~30 s on SPARNet graphs
        assert export_onnx(prefix, samples[1], log=lambda *_: None) <= 1e-4


def test_sample_input_shapes():
    assert sample_input(RDN(num_features=8, num_blocks=1, num_layers=1,
                            growth_rate=8, scale=2), 2, 8).shape == (2, 3, 8, 8)
    assert sample_input(PGANGenerator(latent_dim=16, depths=[16]), 3).shape \
        == (3, 16)
