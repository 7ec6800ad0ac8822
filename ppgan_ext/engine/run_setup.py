"""A run's mode, its own output folder and logger: ppgan's ``setup``, fixed.

ppgan names the folder ``<config>-<Y-m-d-H-M>`` after the minute at which
each process starts, so two runs started in the same minute (or a training
run and an ``--evaluate-only`` of it) write into one folder and overwrite
each other's files, and the ranks of one distributed run that straddle a
minute log into two folders. It also forces gpu/cpu, where the plugin's
``--device`` decides (``ppgan_ext.device``).

Here every run gets a folder of its own, created exclusively:
``<config>-<Y-m-d-H-M-S>`` (``<config>-eval-...`` for ``--evaluate-only``),
with ``-2``, ``-3``, ... appended when the name is taken. Rank 0 creates it
and broadcasts its choice to the other ranks. The effective config (after
``-o``) is saved there as ``config.yaml``, so the tools can use a run's
weights without being told its config (see ``run_config_for``).
"""
import logging
import os
import time

import paddle
import yaml
from paddle.distributed import ParallelEnv
from ppgan.utils.logger import setup_logger

from ..errors import OutputPathError
from ..tool_config import RUN_CONFIG, run_name

__all__ = ['setup_run', 'make_run_folder', 'save_run_config', 'plain']


def _broadcast_ints(values):
    """Rank 0's ``values`` (a list of ints) on every rank."""
    if ParallelEnv().world_size < 2:
        return values
    if not paddle.distributed.is_initialized():
        paddle.distributed.init_parallel_env()
    shared = paddle.to_tensor(values, dtype='int64')
    paddle.distributed.broadcast(shared, src=0)
    return [int(v) for v in shared.numpy()]


def _folder_name(base, stamp, suffix):
    return f'{base}-{stamp}' + (f'-{suffix}' if suffix > 1 else '')


def make_run_folder(parent, base, now=None, rank=None):
    """Create (rank 0) and return ``parent/<base>-<timestamp>[-k]``, a folder
    no other run uses; every rank gets the same path."""
    rank = ParallelEnv().rank if rank is None else rank
    now = int(time.time()) if now is None else int(now)
    suffix = 1
    if rank == 0:
        stamp = time.strftime('%Y-%m-%d-%H-%M-%S', time.localtime(now))
        try:
            os.makedirs(parent, exist_ok=True)
            while True:
                try:
                    os.mkdir(os.path.join(parent,
                                          _folder_name(base, stamp, suffix)))
                    break
                except FileExistsError:
                    suffix += 1
        except OSError as e:
            raise OutputPathError(
                f'output_dir={parent}: cannot create a run folder there '
                f'({e.strerror or e}); choose another with -o '
                'output_dir=...') from None
    now, suffix = _broadcast_ints([now, suffix])
    stamp = time.strftime('%Y-%m-%d-%H-%M-%S', time.localtime(now))
    return os.path.join(parent, _folder_name(base, stamp, suffix))


def plain(value):
    """A config (ppgan ``AttrDict``s, tuples) as plain YAML-able data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def save_run_config(cfg, folder):
    """Write ``cfg`` as ``folder/config.yaml`` (rank 0 only)."""
    if ParallelEnv().rank != 0:
        return None
    path = os.path.join(folder, RUN_CONFIG)
    with open(path, 'w') as f:
        yaml.safe_dump(plain(cfg), f, sort_keys=False)
    return path


def setup_run(args, cfg):
    """Set ``cfg.is_train``, ``profiler_options``, ``timestamp`` and a new
    run folder ``cfg.output_dir``, save the config there and start ppgan's
    logger in it."""
    effective = plain(cfg)
    cfg.is_train = not args.evaluate_only
    cfg.profiler_options = args.profiler_options or None
    name = run_name(args.config_file)
    if args.evaluate_only:
        name += '-eval'
    folder = make_run_folder(str(cfg.output_dir), name)
    cfg.timestamp = folder[len(os.path.join(str(cfg.output_dir), name)):]
    cfg.output_dir = folder
    save_run_config(effective, folder)
    _log_into(folder).info(f'Configs: {cfg}')
    return folder


def _log_into(folder):
    """ppgan's logger, writing this run's ``log.txt``. ppgan sets its logger
    up once per process, so a second run in one process (a notebook, the
    tests) would log into the first run's folder: move the file handler."""
    logger = setup_logger(folder)
    name = os.path.join(folder, 'log.txt')
    if ParallelEnv().local_rank > 0:
        name += f'.rank{ParallelEnv().local_rank}'
    files = [h for h in logger.handlers
             if isinstance(h, logging.FileHandler)]
    if any(h.baseFilename == os.path.abspath(name) for h in files):
        return logger
    for old in files:
        logger.removeHandler(old)
        old.close()
    handler = logging.FileHandler(name, mode='a')
    handler.setFormatter(files[0].formatter if files else None)
    logger.addHandler(handler)
    return logger
