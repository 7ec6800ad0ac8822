"""Helpers for the user-path tests (tests/paths/): train the way a user does,
run the tools on the weights, compare with what the Trainer itself wrote.

Imported (never collected) as ``tests.user_paths``.
"""
import contextlib
import glob
import io
import os
import re
import subprocess
import sys

import numpy as np
import paddle

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# "equal within rounding": mean abs <= 1/255 and no pixel off by > 2/255
MEAN_TOL, MAX_TOL = 1.0, 2


def read_rgb(path):
    from ppgan_ext.io.images import read_image
    return read_image(str(path))


def assert_same_image(got, want, what=''):
    """``got`` and ``want`` (arrays or paths) equal within rounding."""
    got = read_rgb(got) if isinstance(got, (str, os.PathLike)) else got
    want = read_rgb(want) if isinstance(want, (str, os.PathLike)) else want
    assert got.shape == want.shape, (what, got.shape, want.shape)
    diff = np.abs(got.astype(np.int16) - want.astype(np.int16))
    assert diff.mean() <= MEAN_TOL and diff.max() <= MAX_TOL, (
        f'{what}: mean abs {diff.mean():.3f}, max {diff.max()} (of 255)')
    # the images are not trivially equal (e.g. both black)
    assert want.std() > 1.0, f'{what}: reference image is flat'


def assert_close_image(got, want, min_psnr, what=''):
    """``got`` within ``min_psnr`` dB PSNR of ``want`` (reduced precision)."""
    got = read_rgb(got) if isinstance(got, (str, os.PathLike)) else got
    want = read_rgb(want) if isinstance(want, (str, os.PathLike)) else want
    assert got.shape == want.shape, (what, got.shape, want.shape)
    mse = np.mean((got.astype(np.float64) - want) ** 2)
    psnr = 10 * np.log10(255.0 ** 2 / mse) if mse else float('inf')
    assert psnr >= min_psnr, f'{what}: {psnr:.1f} dB < {min_psnr} dB'


def train(config, out, overrides, seed=0, extra=()):
    """``tools/main.py -c config --seed seed [extra] -o output_dir=out ...``
    in this process (under a fresh name scope, as a new process would);
    returns the trainer and its run folder."""
    from ppgan_ext.cli import main
    with paddle.utils.unique_name.guard():
        trainer = main(['-c', config, '--seed', str(seed), '--device', 'cpu',
                        *extra, '-o', f'output_dir={out}', *overrides])
    return trainer, trainer.output_dir


def run_tool(module, argv):
    """Run ``tools/<module>.py`` with ``argv`` in this process, as its
    ``__main__`` does; returns ``(exit code, stdout + stderr)``."""
    import importlib
    if module == 'main':  # tools/main.py is the Trainer's command line
        from ppgan_ext.cli import run as entry
    else:
        entry = importlib.import_module(f'tools.{module}').main
    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf), \
            paddle.utils.unique_name.guard():
        try:
            entry(list(argv))
        except SystemExit as e:
            code = e.code or 0
    return code, buf.getvalue()


def run_cli(args, timeout=600, env=None):
    """``python tools/<...>`` as a separate process (what a shell runs)."""
    return subprocess.run([sys.executable, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env=env)


def weights_of(run):
    """The weights file of a run that saved one (``iter_N``/``epoch_N``)."""
    found = glob.glob(os.path.join(run, '*_weight.pdparams'))
    assert len(found) == 1, sorted(os.listdir(run))
    return found[0]


def trainer_images(run, kind):
    """``{image name: path}`` of the Trainer's validation images of one
    kind (``output``, ``lq``, ...); the run validated once."""
    pattern = re.compile(rf'(?:iter|epoch)\d+_(.+)_{kind}\.png$')
    found = {}
    for path in glob.glob(os.path.join(run, 'visual_test', '*.png')):
        match = pattern.search(os.path.basename(path))
        if match:
            assert match.group(1) not in found, path
            found[match.group(1)] = path
    assert found, sorted(os.listdir(os.path.join(run, 'visual_test')))
    return found


def export_run(trained, folder='export'):
    """``tools/export_model.py --load`` the run's weights (no ``-c``: the
    run's config.yaml); returns the export's prefix and its ``.export.json``
    record."""
    import json

    from ppgan_ext.tool_config import run_name
    out = os.path.join(trained['tmp'], folder)
    code, log = run_tool('export_model', ['--load', trained['weights'],
                                          '--out', out])
    assert code == 0, log
    prefix = os.path.join(out, run_name(os.path.join(trained['run'],
                                                     'config.yaml')))
    with open(prefix + '.export.json') as f:
        return prefix, json.load(f)


def run_export(prefix, x):
    """The exported model at ``prefix`` under Paddle Inference (oneDNN)."""
    from ppgan_ext.deploy.export import create_predictor, run_predictor
    return run_predictor(create_predictor(prefix, mkldnn=True), x)
