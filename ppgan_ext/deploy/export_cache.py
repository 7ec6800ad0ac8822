"""Exports kept between runs, so the inference engine pays for
``paddle.jit.to_static`` once per model and weights (it takes ~15 s for
SPARNet, far more than running a face).

An export is stored under ``$PPGAN_EXT_CACHE`` (default
``~/.cache/ppgan_ext``) in ``exports/<key>/``, where the key hashes
everything the export depends on: Paddle's and ppgan's versions (ppgan's
RRDBNet is exported too), the plugin's source (the export forms), the
generator's config, its weights and buffers, and the precision the export is
made for (a bf16 export has other activation forms). Entries are written to a
temporary folder and renamed into place, so a killed run never leaves a
half-written one. When the cache folder cannot be written, the export goes
to a temporary folder and is not kept. Delete the folder to reclaim space.
"""
import functools
import hashlib
import json
import os
import shutil
import tempfile

import paddle
import ppgan

from .export import create_predictor, export_generator

__all__ = ['cache_root', 'export_key', 'cached_export', 'cached_predictor']

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cache_root():
    root = os.environ.get('PPGAN_EXT_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'ppgan_ext')
    return os.path.join(root, 'exports')


@functools.lru_cache(maxsize=None)  # the source does not change in a run
def _source_digest():
    h = hashlib.blake2b(digest_size=16)
    for folder, dirs, files in sorted(os.walk(_PACKAGE)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith('.py'):
                h.update(name.encode())
                with open(os.path.join(folder, name), 'rb') as f:
                    h.update(f.read())
    return h.digest()


def export_key(net, generator_cfg, precision='fp32'):
    """Hex digest of what an export of ``net`` for ``precision`` depends
    on."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f'paddle {paddle.__version__} ppgan {ppgan.__version__} '
             f'{precision}'.encode())
    h.update(_source_digest())
    h.update(json.dumps(generator_cfg, sort_keys=True, default=str).encode())
    for name, value in sorted(net.state_dict().items()):
        h.update(name.encode())
        h.update(value.numpy().tobytes())
    return h.hexdigest()


def _complete(prefix):
    return os.path.isfile(prefix + '.pdiparams') and any(
        os.path.isfile(prefix + ext) for ext in ('.json', '.pdmodel'))


def cached_export(net, key, fallback_dir, precision='fp32'):
    """Path prefix of an export of ``net`` (for ``precision``) under
    ``key``, made if needed; in ``fallback_dir`` (not kept) when the cache
    cannot be written."""
    folder = os.path.join(cache_root(), key)
    prefix = os.path.join(folder, 'generator')
    if _complete(prefix):
        return prefix
    try:
        os.makedirs(cache_root(), exist_ok=True)
        staging = tempfile.mkdtemp(prefix='.partial-', dir=cache_root())
    except OSError:
        return export_generator(net, os.path.join(fallback_dir, 'generator'),
                                precision)
    try:
        export_generator(net, os.path.join(staging, 'generator'), precision)
        if os.path.isdir(folder):  # damaged entry (not one of ours)
            shutil.rmtree(folder, ignore_errors=True)
        os.rename(staging, folder)
    except OSError:  # another run stored the same key first
        if not _complete(prefix):
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return prefix


def cached_predictor(net, generator_cfg, precision='fp32'):
    """A Paddle Inference (oneDNN) predictor running ``net`` in
    ``precision`` (``'fp32'`` / ``'bf16'``), from the cache (exported there
    on first use)."""
    key = export_key(net, generator_cfg, precision)
    # the predictor reads the files when it is created
    with tempfile.TemporaryDirectory(prefix='ppgan_ext_') as tmp:
        return create_predictor(cached_export(net, key, tmp, precision),
                                mkldnn=True, precision=precision)
