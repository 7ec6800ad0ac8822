"""tools/export_model.py: PGAN weights export the grown generator; the
check's tolerance follows the output scale; misfit weights are refused."""
import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.deploy.export import create_predictor, run_predictor
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.models.generators.rdn import RDN
from tests.deploy.test_pgan_sampler import weights  # noqa: F401 (fixture)
from tests.predictor_fakes import write_config
from tools import export_model


def test_pgan_export_has_the_weights_scales(weights, tmp_path, capsys):  # noqa: F811
    cfg, path, ema = weights
    export_model.main(['-c', cfg, '--load', path, '--out', str(tmp_path)])
    assert 'max abs diff' in capsys.readouterr().out
    z = np.random.RandomState(0).randn(3, 8).astype('float32')
    got = run_predictor(create_predictor(str(tmp_path / 'pgan')), z)
    ema.eval()
    with paddle.no_grad():
        want = ema(paddle.to_tensor(z)).numpy()
    assert got.shape == (3, 1, 8, 8)  # two scales: 4 -> 8
    assert np.abs(got - want).max() <= 1e-4


def test_tolerance_follows_the_output_scale(tmp_path, capsys):
    gen = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
           'growth_rate': 8, 'scale': 2}
    paddle.seed(0)
    net = RDN(**{k: v for k, v in gen.items() if k != 'name'})
    for p in net.parameters():  # outputs in the thousands, like an
        p.set_value(p * 40)     # untrained paper RDN
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(weights))
    export_model.main(['-c', write_config(tmp_path, gen), '--load',
                       str(weights), '--out', str(tmp_path / 'e')])
    out = capsys.readouterr().out
    scale = float(out.split('max |output| ')[1].split(')')[0])
    assert scale > 1e3
    with pytest.raises(SystemExit) as e:  # an absolute 1e-12 cannot hold
        export_model.main(['-c', write_config(tmp_path, gen), '--load',
                           str(weights), '--out', str(tmp_path / 'e'),
                           '--atol', '1e-12'])
    assert e.value.code == 1
    assert 'atol 1e-12 x output scale' in capsys.readouterr().err
