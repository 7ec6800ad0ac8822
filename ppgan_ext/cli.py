"""``tools/main.py``: PaddleGAN's command line plus ``--device`` and ``--amp``.

The flags ppgan's ``parse_args`` has (``-c/--config-file``, ``--resume``,
``--load``, ``--evaluate-only``, ``-o/--opt``, ``--seed``, ``--val-interval``,
``-p/--profiler_options``) keep their meaning; ppgan builds its parser inside
``parse_args`` so it cannot be extended, hence this one. ``-c`` may be left
out with ``--resume``/``--load`` of a file in a run folder (its
``config.yaml`` is used).
"""
import argparse
import logging
import shlex
import sys

from .errors import UserError
from .tool_config import add_config_arguments, load_tool_config

__all__ = ['build_parser', 'main', 'run']

INTERRUPTED_EXIT = 130  # as a shell reports a command stopped by Ctrl-C


class RandomWeightsRefused(UserError):
    """``--evaluate-only`` without weights would score an untrained net."""


def build_parser():
    p = argparse.ArgumentParser(
        description='Train or evaluate a PaddleGAN/ppgan_ext model.')
    add_config_arguments(p)
    p.add_argument('--resume', default=None,
                   help='training checkpoint (iter_N_checkpoint.pdparams) '
                   'to continue from')
    p.add_argument('--load', default=None,
                   help='weights to start from / evaluate')
    p.add_argument('--evaluate-only', action='store_true',
                   help='only run validation')
    p.add_argument('--allow-random-weights', action='store_true',
                   help='let --evaluate-only run without --load (scores an '
                   'untrained network)')
    p.add_argument('--val-interval', type=int, default=None,
                   help='validate every N iterations (overrides '
                   'validate.interval)')
    p.add_argument('--seed', type=int, default=None,
                   help='seed paddle, numpy and random')
    p.add_argument('-p', '--profiler_options', default=None,
                   help='ppgan profiler options "k1=v1;k2=v2"')
    p.add_argument('--device', default='auto',
                   help="auto (custom device, then gpu, then cpu), cpu, "
                   "gpu[:N], npu[:N], xpu[:N], ...")
    p.add_argument('--amp', default=None, choices=['off', 'O1', 'O2'],
                   help='mixed precision (overrides amp.level in config)')
    return p


def _seed_everything(seed):
    import random

    import numpy as np
    import paddle
    paddle.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _resume_command(config_file, path):
    return ('python -u tools/main.py -c ' + shlex.quote(str(config_file)) +
            ' --resume ' + shlex.quote(path))


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.evaluate_only and not (args.load or args.resume or
                                   args.allow_random_weights):
        raise RandomWeightsRefused(
            '--evaluate-only without --load would score randomly '
            'initialised weights; give --load WEIGHTS (or '
            '--allow-random-weights to do it anyway)')

    from .amp import Amp
    from .config_check import validate_config
    from .device import set_device
    from .engine.run_setup import setup_run
    from .engine.trainer import (ExtTrainer, TrainingInterrupted,
                                 read_training_checkpoint)

    args.config_file, cfg = load_tool_config(
        args.config_file, args.opt, args.resume or args.load,
        '--resume' if args.resume else '--load')
    validate_config(cfg, args.config_file)
    # read before anything is built: a wrong file fails at once
    resume_state = (read_training_checkpoint(args.resume)
                    if args.resume else None)
    if args.val_interval is not None and cfg.get('validate') is not None:
        cfg.validate['interval'] = args.val_interval
    amp_cfg = dict(cfg.get('amp') or {})
    if args.amp is not None:
        amp_cfg['level'] = args.amp
    amp = Amp.from_config(amp_cfg)

    seed = args.seed
    place = set_device(args.device)
    amp.check_device(place)
    setup_run(args, cfg)  # run folder, config.yaml, logger, is_train
    if seed is not None:
        _seed_everything(seed)
    logging.getLogger('ppgan').info(f'device: {place}, amp: {amp.level}')

    trainer = ExtTrainer(cfg, amp=amp, seed=seed)
    try:
        if args.resume and not args.evaluate_only:
            trainer.resume(args.resume, resume_state)
        elif args.load or args.resume:
            trainer.load(args.load or args.resume)
        if args.evaluate_only:
            trainer.test()
        else:
            trainer.train()
    except TrainingInterrupted as stop:
        print(f'interrupted at iteration {stop.iteration}; saved '
              f'{stop.checkpoint}; continue with: '
              f'{_resume_command(args.config_file, stop.checkpoint)}',
              file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED_EXIT)
    except KeyboardInterrupt:
        kept = trainer.last_checkpoint
        print(f'interrupted at iteration {trainer.current_iter}; nothing '
              'saved since ' + (f'{kept}; continue with: '
                                f'{_resume_command(args.config_file, kept)}'
                                if kept else 'the start'),
              file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED_EXIT)
    finally:
        trainer.close()
    return trainer


def run(argv=None):
    """Entry point: a user-facing error is printed as one line, no traceback.

    ppgan's builders re-raise constructor failures as other exception types,
    so the whole cause/context chain is searched for one of ours.
    """
    from .errors import exit_on_user_error
    try:
        with exit_on_user_error():
            main(argv)
    except KeyboardInterrupt:  # before training started: nothing to save
        print('interrupted', file=sys.stderr)
        sys.exit(INTERRUPTED_EXIT)
