"""``tools/main.py``: PaddleGAN's command line plus ``--device`` and ``--amp``.

The flags ppgan's ``parse_args`` has (``-c/--config-file``, ``--resume``,
``--load``, ``--evaluate-only``, ``-o/--opt``, ``--seed``, ``--val-interval``,
``-p/--profiler_options``) keep their meaning; ppgan builds its parser inside
``parse_args`` so it cannot be extended, hence this one.
"""
import argparse
import logging

__all__ = ['build_parser', 'main']


def build_parser():
    p = argparse.ArgumentParser(
        description='Train or evaluate a PaddleGAN/ppgan_ext model.')
    p.add_argument('-c', '--config-file', metavar='FILE', required=True,
                   help='config file path')
    p.add_argument('--resume', default=None,
                   help='training checkpoint (iter_N_checkpoint.pdparams) '
                   'to continue from')
    p.add_argument('--load', default=None,
                   help='weights to start from / evaluate')
    p.add_argument('--evaluate-only', action='store_true',
                   help='only run validation')
    p.add_argument('--val-interval', type=int, default=None,
                   help='validate every N iterations (overrides '
                   'validate.interval)')
    p.add_argument('-o', '--opt', nargs='+', default=None,
                   help='config overrides: key.sub=value ...')
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


def main(argv=None):
    args = build_parser().parse_args(argv)

    import ppgan_ext  # noqa: F401  (compat + registrations before ppgan use)

    from ..amp import Amp
    from ..config import load_config
    from ..config_check import validate_config
    from ..device import set_device
    from .run_setup import setup_run
    from .trainer import ExtTrainer

    cfg = load_config(args.config_file, args.opt)
    validate_config(cfg, args.config_file)
    if args.val_interval is not None and cfg.get('validate') is not None:
        cfg.validate['interval'] = args.val_interval
    amp_cfg = dict(cfg.get('amp') or {})
    if args.amp is not None:
        amp_cfg['level'] = args.amp
    amp = Amp.from_config(amp_cfg)

    seed = args.seed
    place = set_device(args.device)
    amp.check_device(place)
    setup_run(args, cfg)  # output dir, logger, is_train (ppgan's, fixed)
    if seed is not None:
        _seed_everything(seed)
    logging.getLogger('ppgan').info(f'device: {place}, amp: {amp.level}')

    trainer = ExtTrainer(cfg, amp=amp, seed=seed)
    if args.resume:
        trainer.resume(args.resume)
    elif args.load:
        trainer.load(args.load)

    if args.evaluate_only:
        trainer.test()
        trainer.close()
        return trainer
    try:
        trainer.train()
    except KeyboardInterrupt:
        trainer.save(trainer.current_iter - 1)
        raise
    finally:
        trainer.close()
    return trainer


def run(argv=None):
    """Entry point: a user-facing error is printed as one line, no traceback.

    ppgan's builders re-raise constructor failures as other exception types,
    so the whole cause/context chain is searched for one of ours.
    """
    from ..errors import exit_on_user_error
    with exit_on_user_error():
        main(argv)
