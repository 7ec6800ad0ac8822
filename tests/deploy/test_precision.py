"""Inference precision: 'auto' on CPUs with and without bf16 (detection
patched), the allow list, explicit bf16 where it cannot run, and real bf16
runs (on this CPU whatever it is: native, emulated, or refused)."""
import numpy as np
import paddle
import pytest
from paddle.base import core

import ppgan_ext  # noqa: F401
from ppgan_ext.deploy import precision as prec
from ppgan_ext.deploy.export import (create_predictor, export_generator,
                                     export_info, run_predictor, sample_input)
from ppgan_ext.deploy.precision import (BF16_AUTO, PrecisionError,
                                        bf16_support, resolve_precision)
from ppgan_ext.deploy.predictor import SRPredictor
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.models.generators.pgan import PGANGenerator
from ppgan_ext.models.generators.rdn import RDN
from ppgan_ext.models.generators.sparnet import SPARNet
from tests.predictor_fakes import write_config
from tools import inference

CPUS = {  # flags in /proc/cpuinfo, Paddle's supports_bfloat16 / _fast
    'amx': ({'avx512f', 'amx_tile', 'amx_bf16'}, True, True),
    'avx512_bf16': ({'avx512f', 'avx512_bf16'}, True, True),
    'avx512_only': ({'avx512f'}, True, False),
    'avx2_only': ({'avx2'}, False, False),
}


def pretend_cpu(monkeypatch, kind):
    flags, supports, fast = CPUS[kind]
    monkeypatch.setattr(prec, '_cpu_flags', lambda: set(flags))
    monkeypatch.setattr(core, 'supports_bfloat16', lambda: supports)
    monkeypatch.setattr(core, 'supports_bfloat16_fast_performance',
                        lambda: fast)


@pytest.mark.parametrize('kind, want', [('amx', 'bf16'),
                                        ('avx512_bf16', 'bf16'),
                                        ('avx512_only', 'fp32'),
                                        ('avx2_only', 'fp32')])
def test_auto_picks_bf16_only_on_native_bf16_cpus(monkeypatch, kind, want):
    pretend_cpu(monkeypatch, kind)
    lines = []
    assert resolve_precision('auto', 'RRDBNet', lines.append) == want
    assert len(lines) == 1 and lines[0].startswith(f'precision auto: {want}')
    assert resolve_precision('fp32', 'RRDBNet', lines.append) == 'fp32'
    assert len(lines) == 1  # only auto says what it chose


def test_allow_list_keeps_other_generators_in_fp32(monkeypatch):
    pretend_cpu(monkeypatch, 'avx512_bf16')
    lines = []
    # measured: RDN and SPARNet lose > 0.05 dB PSNR-Y in bf16
    assert BF16_AUTO == {'RRDBNet', 'PGANGenerator'}
    for name in ('RDN', 'SPARNet'):
        assert resolve_precision('auto', name, lines.append) == 'fp32'
        assert f'{name} is not on the bf16 allow list' in lines[-1]
    for name in BF16_AUTO:
        assert resolve_precision('auto', name, lines.append) == 'bf16'
    # an explicit bf16 is the user's choice, allow list or not
    assert resolve_precision('bf16', 'RDN') == 'bf16'


def test_explicit_bf16_refused_without_avx512_warned_when_emulated(
        monkeypatch):
    pretend_cpu(monkeypatch, 'avx2_only')
    with pytest.raises(PrecisionError, match='no AVX-512'):
        resolve_precision('bf16', 'RDN')
    pretend_cpu(monkeypatch, 'avx512_only')
    with pytest.warns(UserWarning, match='emulates bf16'):
        assert resolve_precision('bf16', 'RDN') == 'bf16'
    with pytest.raises(PrecisionError, match=r"one of \['auto', 'fp32', "
                                             r"'bf16'\], got 'fp16'"):
        resolve_precision('fp16', 'RDN')


def tiny_nets():
    paddle.seed(0)
    pgan = PGANGenerator(latent_dim=16, depths=[16, 8])
    return {
        'sparnet': (SPARNet(min_ch=8, max_ch=16, in_size=32, out_size=32,
                            min_feat_size=8, res_depth=1,
                            bottleneck_size=8, hourglass_width=8), 24),
        'sparnet_prelu': (SPARNet(min_ch=8, max_ch=16, in_size=32,
                                  out_size=32, min_feat_size=8, res_depth=1,
                                  relu_type='prelu', bottleneck_size=8,
                                  hourglass_width=8), 24),
        'rdn': (RDN(num_features=8, num_blocks=2, num_layers=2,
                    growth_rate=8, scale=2), 12),
        'pgan': (pgan, None),
    }


@pytest.mark.parametrize('name', list(tiny_nets()))
def test_bf16_export_on_this_cpu(tmp_path, name):
    """A bf16 export equals the dynamic graph in fp32 (1e-4) and, where this
    CPU runs bf16 kernels (natively or emulated), in bf16 to bf16's
    precision; where it cannot, bf16 is refused in one line."""
    net, size = tiny_nets()[name]
    net.eval()
    x = sample_input(net, 2, size)
    with paddle.no_grad():
        want = net(paddle.to_tensor(x)).numpy()
    prefix = export_generator(net, str(tmp_path / 'g'), precision='bf16')
    info = export_info(prefix)
    assert (info['generator'], info['precision']) == (type(net).__name__,
                                                      'bf16')
    fp32 = run_predictor(create_predictor(prefix, precision='fp32'), x)
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(fp32 - want).max() <= 1e-4 * scale
    if bf16_support() is None:
        with pytest.raises(PrecisionError, match='no AVX-512'):
            create_predictor(prefix, precision='bf16')
        return
    got = run_predictor(create_predictor(prefix, precision='bf16'), x)
    rel = np.abs(got - want).max() / np.abs(want).max()
    # bf16 keeps 8 bits of mantissa (~0.4% per rounding); far below what the
    # fp32 forms give in bf16 here (outputs ~1e8 off)
    assert 0 < rel < 0.05, rel


def test_fp32_export_is_not_run_in_bf16(tmp_path):
    net, size = tiny_nets()['rdn']
    prefix = export_generator(net, str(tmp_path / 'g'))
    with pytest.raises(PrecisionError, match="export it with precision='bf16'"):
        create_predictor(prefix, precision='bf16')
    lines = []
    create_predictor(prefix, precision='auto', log=lines.append)
    assert lines == ['precision auto: fp32 (an fp32 export)']


GEN = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
       'growth_rate': 8, 'scale': 2}


def rdn_weights(tmp_path):
    paddle.seed(0)
    net = RDN(**{k: v for k, v in GEN.items() if k != 'name'})
    path = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(path))
    return write_config(tmp_path, GEN), str(path)


def test_predictor_resolves_and_uses_its_precision(tmp_path, monkeypatch):
    cfg, weights = rdn_weights(tmp_path)
    pretend_cpu(monkeypatch, 'avx512_only')
    lines = []
    pred = SRPredictor(cfg, weights, engine='inference', log=lines.append)
    assert pred.precision == 'fp32' and len(lines) == 1
    assert SRPredictor(cfg, weights, engine='dynamic').precision == 'fp32'
    with pytest.raises(PrecisionError, match='needs the inference engine'):
        SRPredictor(cfg, weights, engine='dynamic', precision='bf16')


def test_cli_bf16_on_a_cpu_without_it_is_one_line(tmp_path, monkeypatch,
                                                  capsys):
    cfg, weights = rdn_weights(tmp_path)
    pretend_cpu(monkeypatch, 'avx2_only')
    with pytest.raises(SystemExit) as e:
        inference.main(['-c', cfg, '--weights', weights, '--input',
                        str(tmp_path), '--out', str(tmp_path / 'o'),
                        '--precision', 'bf16'])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['error: precision bf16: this CPU has no AVX-512, Paddle '
                   'cannot run bf16 kernels on it; use precision fp32 or '
                   'auto']
