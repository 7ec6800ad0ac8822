"""ppgan 2.1.0 imports and builds under Paddle 3 through ppgan_ext.compat."""
import os
import sys
import threading

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext import compat


def test_soft_relu_matches_its_formula():
    x = np.array([-100., -40., -3., -0.5, 0., 0.5, 3., 39., 40., 100.],
                 dtype=np.float32)
    for threshold in (40.0, 5.0):
        got = compat.soft_relu(paddle.to_tensor(x), threshold=threshold)
        want = np.log1p(np.exp(np.clip(x.astype(np.float64), -threshold,
                                       threshold)))
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


def test_fluid_symbol_is_where_ppgan_imports_it():
    from paddle.fluid.layers.nn import soft_relu
    assert soft_relu is compat.soft_relu
    assert 'paddle.fluid.layers.nn' in sys.modules


def test_apply_is_idempotent():
    before = sys.modules['paddle.fluid.layers.nn']
    compat.apply()
    assert sys.modules['paddle.fluid.layers.nn'] is before


def test_ppgan_registries_load_and_build():
    from ppgan.models.builder import MODELS, build_model
    from ppgan.models.generators.builder import GENERATORS
    # starganv2_model is the module that needs the shim
    assert MODELS.get('StarGANv2Model').__module__.endswith('starganv2_model')
    assert GENERATORS.get('RRDBNet') is not None
    model = build_model({'name': 'BaseSRModel',
                         'generator': {'name': 'RRDBNet', 'in_nc': 3,
                                       'out_nc': 3, 'nf': 4, 'nb': 1},
                         'pixel_criterion': {'name': 'L1Loss'}})
    out = model.nets['generator'](paddle.rand([1, 3, 8, 8]))
    assert out.shape == [1, 3, 32, 32]


class _FailsAtThree(paddle.io.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            from ppgan_ext.io.images import ImageReadError
            raise ImageReadError(f'/data/bad_{i}.png: truncated')
        return np.full(2, i, np.float32)


def _drain(loader, in_thread):
    """Iterate ``loader`` (in a thread, so a hang fails the test instead of
    blocking it; worker processes need the main thread). Returns
    (batches, error, finished)."""
    out = {'seen': [], 'error': None}

    def run():
        try:
            for batch in loader:
                out['seen'].append(batch.numpy()[:, 0].tolist())
        except Exception as e:
            out['error'] = e
    if not in_thread:
        run()
        return out['seen'], out['error'], True
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    return out['seen'], out['error'], not thread.is_alive()


@pytest.mark.parametrize('workers', [0, 1])
def test_dataloader_errors_reach_the_loop_instead_of_hanging(workers):
    """Paddle 3.3's loader thread died silently (0 workers: a hang)."""
    from ppgan_ext.compat import WorkerTraceback
    from ppgan_ext.io.images import ImageReadError
    seen, error, finished = _drain(paddle.io.DataLoader(
        _FailsAtThree(), batch_size=2, num_workers=workers),
        in_thread=not workers)
    assert finished, 'the data loader hung on a failing item'
    assert isinstance(error, ImageReadError)
    assert str(error) == '/data/bad_3.png: truncated'
    assert seen in ([], [[0.0, 1.0]])  # the prefetched batch may be dropped
    if workers:
        assert isinstance(error.__cause__, WorkerTraceback)
        assert 'bad_3.png' in str(error.__cause__)


@pytest.fixture
def downloads(monkeypatch, tmp_path):
    """Empty ppgan/Paddle caches; the downloaders only record their calls."""
    import paddle.utils.download as paddle_dl
    import ppgan.utils.download as ppgan_dl
    calls = []

    def fake_download(url, path, *args, **kwargs):
        calls.append(url)
        os.makedirs(path, exist_ok=True)
        target = os.path.join(path, os.path.basename(url))
        open(target, 'wb').close()
        return target
    for module, home in ((ppgan_dl, 'PPGAN_HOME'), (paddle_dl, 'WEIGHTS_HOME')):
        monkeypatch.setattr(module, home, str(tmp_path / home))
        monkeypatch.setattr(module, '_download', fake_download)
    return ppgan_dl, paddle_dl, calls, tmp_path


def call_from(module_name, fn, *args):
    """Call ``fn(*args)`` from code whose module is ``module_name``."""
    scope = {'__name__': module_name, 'fn': fn, 'args': args}
    exec('result = fn(*args)', scope)
    return scope['result']


URL = 'https://paddlegan.bj.bcebos.com/models/weights.pdparams'


def test_ppgan_downloads_are_refused_before_any_request(downloads):
    """ppgan fetched weights while a config was built: a 100-line traceback
    offline, a hang where packets are dropped."""
    ppgan_dl, paddle_dl, calls, tmp_path = downloads
    for fn, home in ((ppgan_dl.get_path_from_url, 'PPGAN_HOME'),
                     (paddle_dl.get_weights_path_from_url, 'WEIGHTS_HOME')):
        with pytest.raises(compat.DownloadRefusedError) as e:
            call_from('ppgan.metrics.lpips', fn, URL)
        assert str(e.value).startswith('ppgan.metrics.lpips wants to '
                                       f'download {URL}')
        assert str(tmp_path / home / 'weights.pdparams') in str(e.value)
    assert calls == []


def test_ppgan_gets_what_its_cache_holds(downloads):
    ppgan_dl, paddle_dl, calls, tmp_path = downloads
    for fn, home in ((ppgan_dl.get_path_from_url, 'PPGAN_HOME'),
                     (paddle_dl.get_weights_path_from_url, 'WEIGHTS_HOME')):
        cached = tmp_path / home / 'weights.pdparams'
        cached.parent.mkdir()
        cached.write_bytes(b'weights')
        assert call_from('ppgan.metrics.lpips', fn, URL) == str(cached)
    assert calls == []


def test_other_callers_download_as_before(downloads):
    _, paddle_dl, calls, tmp_path = downloads
    assert call_from('user_code', paddle_dl.get_weights_path_from_url,
                     URL) == str(tmp_path / 'WEIGHTS_HOME' / 'weights.pdparams')
    assert calls == [URL]


def test_lpips_metric_offline_is_one_line(downloads):
    from ppgan.metrics.builder import build_metric
    from ppgan_ext.errors import find_user_error
    with pytest.raises(Exception) as e:
        build_metric({'name': 'LPIPSMetric'})
    error = find_user_error(e.value)
    assert isinstance(error, compat.DownloadRefusedError)
    assert str(error).startswith('ppgan.metrics.lpips wants to download')
    assert downloads[2] == []
