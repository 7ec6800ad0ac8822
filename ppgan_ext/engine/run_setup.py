"""A run's mode, output folder and logger: ppgan's ``setup`` without two
problems. ppgan names the folder after the minute at which each process
starts, so the ranks of one distributed run that straddle a minute log into
two folders; and it forces gpu/cpu, where the plugin's ``--device`` decides
(``ppgan_ext.device``). Seeding is the command line's job too.
"""
import os
import time

import paddle
from paddle.distributed import ParallelEnv
from ppgan.utils.logger import setup_logger

__all__ = ['shared_start_time', 'setup_run']


def shared_start_time():
    """Seconds since the epoch: rank 0's clock for every rank of a
    distributed run (one broadcast), else this process's."""
    now = int(time.time())
    if ParallelEnv().world_size < 2:
        return now
    if not paddle.distributed.is_initialized():
        paddle.distributed.init_parallel_env()
    shared = paddle.to_tensor([now], dtype='int64')
    paddle.distributed.broadcast(shared, src=0)
    return int(shared.numpy()[0])


def setup_run(args, cfg):
    """Set ``cfg.is_train``, ``profiler_options``, ``timestamp`` and the run
    folder ``output_dir/<config name>-<Y-m-d-H-M>``, as ppgan does, and start
    ppgan's logger there."""
    cfg.is_train = not args.evaluate_only
    cfg.profiler_options = args.profiler_options or None
    cfg.timestamp = time.strftime('-%Y-%m-%d-%H-%M',
                                  time.localtime(shared_start_time()))
    name = os.path.splitext(os.path.basename(str(args.config_file)))[0]
    cfg.output_dir = os.path.join(cfg.output_dir, name + cfg.timestamp)
    setup_logger(cfg.output_dir).info(f'Configs: {cfg}')
