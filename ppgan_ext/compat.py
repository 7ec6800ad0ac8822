"""Shims that let ppgan 2.1.0 import and run under Paddle 3.x.

Every shim lives here, is applied once by ``import ppgan_ext`` *before*
ppgan's models, datasets and metrics are imported, and has a test in
``tests/test_compat.py``. Keep each one the smallest thing that works and
say why it is needed.

Shims:

* ``paddle.fluid.layers.nn.soft_relu`` -- ``ppgan/models/starganv2_model.py``
  does ``from paddle.fluid.layers.nn import soft_relu`` at import time, and
  ``ppgan.models`` imports every model, so without it no ppgan model (ESRGAN
  included) can be built. Paddle 3 removed ``paddle.fluid``. We register a
  tiny stand-in module tree that provides only that function, computed as
  Paddle 2's did: ``log(1 + exp(clip(x, -threshold, threshold)))``.
* DataLoader errors reach the training loop -- in Paddle 3.3 a dataset item
  that raises (a truncated image, say) kills the loader's prefetch thread
  without closing its queue: with ``num_workers: 0`` the run then *hangs
  forever*; with workers it dies with "SystemError: Blocking queue is
  killed", the real error only printed. The shim keeps the thread's
  exception and re-raises it from the iterator's ``__next__``; a worker's
  exception is rebuilt with its own message (the worker traceback becomes
  its ``__cause__``), so ``error: <file>: ...`` can be shown as one line.
* ppgan never downloads at run time -- ppgan components fetch weights
  while a config is built (LPIPSMetric's VGG16, PerceptualLoss's VGG19, ...)
  with no timeout: offline that is a 50-100 line traceback, on a network
  that drops packets a wait, and ranks other than 0 poll for the file
  forever. The download helpers (ppgan's, and Paddle's as called from ppgan
  modules; other callers are left alone) return a file already in their
  cache and otherwise raise :class:`DownloadRefusedError`, one line naming
  the URL and where to put the file.
"""
import functools
import inspect
import os
import sys
import types

import paddle

from .errors import UserError

_APPLIED = False


def soft_relu(x, threshold=40.0, name=None):
    """Paddle 2's ``fluid.layers.soft_relu``: ``log(1 + exp(clip(x, -t, t)))``."""
    return paddle.log1p(paddle.exp(paddle.clip(x, -threshold, threshold)))


def _install_fluid_soft_relu():
    if 'paddle.fluid' in sys.modules or hasattr(paddle, 'fluid'):
        # A real (or someone else's) paddle.fluid exists: leave it alone.
        fluid = sys.modules.get('paddle.fluid', getattr(paddle, 'fluid', None))
        nn_mod = getattr(getattr(fluid, 'layers', None), 'nn', None)
        if nn_mod is not None and hasattr(nn_mod, 'soft_relu'):
            return
    names = ('paddle.fluid', 'paddle.fluid.layers', 'paddle.fluid.layers.nn')
    mods = {}
    for name in names:
        mod = sys.modules.get(name) or types.ModuleType(name)
        mod.__doc__ = 'ppgan_ext.compat stand-in: only what ppgan 2.1.0 imports.'
        sys.modules[name] = mod
        mods[name] = mod
    mods['paddle.fluid'].layers = mods['paddle.fluid.layers']
    mods['paddle.fluid.layers'].nn = mods['paddle.fluid.layers.nn']
    mods['paddle.fluid.layers.nn'].soft_relu = soft_relu
    if not hasattr(paddle, 'fluid'):
        paddle.fluid = mods['paddle.fluid']


class WorkerTraceback(RuntimeError):
    """The traceback text of an exception raised in a DataLoader worker."""


def _relay_thread_errors(iter_cls):
    thread_loop, next_batch = iter_cls._thread_loop, iter_cls.__next__

    def _thread_loop_keeping_errors(self, *args):
        try:
            thread_loop(self, *args)
        except Exception as e:
            self._relayed_error = e
            self._exit_thread_unexpectedly()

    def __next__(self):
        try:
            return next_batch(self)
        except StopIteration:
            raise
        except Exception:
            error = getattr(self, '_relayed_error', None)
            if error is None:
                raise
            self._relayed_error = None
            self._try_shutdown_all()  # stop workers now, not at exit
            raise error from error.__cause__

    iter_cls._thread_loop = _thread_loop_keeping_errors
    iter_cls.__next__ = __next__


def _keep_worker_exception_args(worker_exc_cls):
    init, reraise = worker_exc_cls.__init__, worker_exc_cls.reraise

    def __init__(self, worker_id, exc_info=None):
        exc_info = exc_info or sys.exc_info()
        init(self, worker_id, exc_info)
        args = getattr(exc_info[1], 'args', None)
        self.exc_args = (args if isinstance(args, tuple) and
                         all(isinstance(a, (str, int)) for a in args)
                         else None)

    def reraise_with_own_message(self):
        args = getattr(self, 'exc_args', None)
        if args is None:
            return reraise(self)
        try:
            error = self.exc_type(*args)
        except Exception:
            return reraise(self)
        raise error from WorkerTraceback(
            f'DataLoader worker {self.worker_id}:\n{self.exc_msg}')

    worker_exc_cls.__init__ = __init__
    worker_exc_cls.reraise = reraise_with_own_message


def _install_loader_error_relay():
    from paddle.io.dataloader import dataloader_iter, worker
    for cls in (dataloader_iter._DataLoaderIterSingleProcess,
                dataloader_iter._DataLoaderIterMultiProcess):
        _relay_thread_errors(cls)
    _keep_worker_exception_args(worker._WorkerException)


class DownloadRefusedError(UserError, RuntimeError):
    """A ppgan component asked for a download (never done at run time)."""


def _ppgan_component(frame):
    """The outermost ppgan module in the calls ending at ``frame``, before
    the builders/engine that construct it (e.g. ``ppgan.metrics.lpips``)."""
    name = None
    while frame is not None:
        module = frame.f_globals.get('__name__', '')
        if not module.startswith('ppgan.') or module.endswith(
                ('.builder', '.registry', '.base_model')) or \
                module.startswith('ppgan.engine'):
            break
        name, frame = module, frame.f_back
    return name


def _offline(download, cache_path, md5check):
    """``download`` for callers outside ppgan; for ppgan modules, only what
    its cache (``cache_path(arguments)``) already holds."""
    signature = inspect.signature(download)

    @functools.wraps(download)
    def offline(*args, **kwargs):
        caller = _ppgan_component(sys._getframe(1))
        if caller is None:
            return download(*args, **kwargs)
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        path = cache_path(given.arguments)
        if os.path.exists(path) and md5check(path,
                                             given.arguments.get('md5sum')):
            return download(*args, **kwargs)
        raise DownloadRefusedError(
            f'{caller} wants to download {given.arguments["url"]} while the '
            'config is built; nothing is downloaded at run time here: put '
            f'that file at {path}, or leave that component out')
    return offline


def _refuse_ppgan_downloads():
    import paddle.utils.download as paddle_dl
    import ppgan.utils.download as ppgan_dl
    if getattr(ppgan_dl.get_path_from_url, '__wrapped__', None):
        return
    ppgan_dl.get_path_from_url = _offline(
        ppgan_dl.get_path_from_url,
        lambda a: ppgan_dl._map_path(a['url'], ppgan_dl.PPGAN_HOME),
        ppgan_dl._md5check)
    paddle_dl.get_path_from_url = _offline(
        paddle_dl.get_path_from_url,
        lambda a: paddle_dl._map_path(a['url'], a['root_dir']),
        paddle_dl._md5check)
    paddle_dl.get_weights_path_from_url = _offline(
        paddle_dl.get_weights_path_from_url,
        lambda a: paddle_dl._map_path(a['url'], paddle_dl.WEIGHTS_HOME),
        paddle_dl._md5check)


def apply():
    """Apply every shim (idempotent). Must run before ``import ppgan``."""
    global _APPLIED
    if _APPLIED:
        return
    _install_fluid_soft_relu()
    _install_loader_error_relay()
    _refuse_ppgan_downloads()
    _APPLIED = True
