"""The inference engine's exports are kept per model and weights."""
import os

import numpy as np
import paddle

import ppgan_ext  # noqa: F401
from ppgan_ext.deploy import export_cache
from ppgan_ext.deploy.predictor import SRPredictor
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.models.generators.rdn import RDN
from tests.predictor_fakes import write_config

GEN = {'name': 'RDN', 'num_features': 8, 'num_blocks': 1, 'num_layers': 1,
       'growth_rate': 8, 'scale': 2}


def write_weights(path, seed):
    paddle.seed(seed)
    net = RDN(**{k: v for k, v in GEN.items() if k != 'name'})
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(path))
    return str(path)


def count_exports(monkeypatch):
    calls = []
    real = export_cache.export_generator

    def counting(net, prefix, *args):
        calls.append(prefix)
        return real(net, prefix, *args)

    monkeypatch.setattr(export_cache, 'export_generator', counting)
    return calls


def run(cfg, weights, chw):
    pred = SRPredictor(cfg, weights, engine='inference', precision='fp32')
    return pred._run(chw), pred._run_dynamic(chw)


def test_second_run_reuses_the_export_new_weights_do_not(tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv('PPGAN_EXT_CACHE', str(tmp_path / 'cache'))
    calls = count_exports(monkeypatch)
    cfg = write_config(tmp_path, GEN)
    chw = np.random.RandomState(0).rand(3, 9, 11).astype(np.float32)
    first = write_weights(tmp_path / 'a.pdparams', 0)
    got, want = run(cfg, first, chw)
    assert np.abs(got - want).max() <= 1e-4 and len(calls) == 1
    again, _ = run(cfg, first, chw)
    np.testing.assert_array_equal(again, got)
    assert len(calls) == 1  # reused
    other = write_weights(tmp_path / 'b.pdparams', 1)
    got, want = run(cfg, other, chw)
    assert np.abs(got - want).max() <= 1e-4 and len(calls) == 2
    entries = os.listdir(export_cache.cache_root())
    assert len(entries) == 2 and not any(e.startswith('.') for e in entries)


def test_unwritable_cache_falls_back_to_a_temporary_export(tmp_path,
                                                           monkeypatch):
    blocker = tmp_path / 'not_a_folder'
    blocker.write_text('')
    monkeypatch.setenv('PPGAN_EXT_CACHE', str(blocker))
    cfg = write_config(tmp_path, GEN)
    chw = np.random.RandomState(0).rand(3, 9, 11).astype(np.float32)
    got, want = run(cfg, write_weights(tmp_path / 'a.pdparams', 0), chw)
    assert np.abs(got - want).max() <= 1e-4


def test_a_partial_entry_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv('PPGAN_EXT_CACHE', str(tmp_path / 'cache'))
    calls = count_exports(monkeypatch)
    cfg = write_config(tmp_path, GEN)
    weights = write_weights(tmp_path / 'a.pdparams', 0)
    pred = SRPredictor(cfg, weights, engine='inference', precision='fp32')
    key = export_cache.export_key(pred.net, pred.generator_cfg)
    broken = os.path.join(export_cache.cache_root(), key)
    os.makedirs(broken)
    open(os.path.join(broken, 'generator.json'), 'w').close()  # no params
    chw = np.random.RandomState(0).rand(3, 9, 11).astype(np.float32)
    assert np.abs(pred._run(chw) - pred._run_dynamic(chw)).max() <= 1e-4
    assert len(calls) == 1


def test_key_changes_with_the_precision_and_the_weights(tmp_path):
    cfg = write_config(tmp_path, GEN)
    pred = SRPredictor(cfg, write_weights(tmp_path / 'a.pdparams', 0),
                       engine='dynamic')
    keys = {export_cache.export_key(pred.net, pred.generator_cfg, p)
            for p in ('fp32', 'bf16')}
    other = SRPredictor(cfg, write_weights(tmp_path / 'b.pdparams', 1),
                        engine='dynamic')
    keys.add(export_cache.export_key(other.net, other.generator_cfg))
    assert len(keys) == 3
