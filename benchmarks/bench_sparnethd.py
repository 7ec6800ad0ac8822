"""SPARNetHD on this machine: peak memory (RSS) and time of one training step.

Each row runs in a fresh subprocess (peak RSS = its ``ru_maxrss``); the
parent watches the child's RSS and stops it above ``--limit-gb`` (reported
as "> limit") so a configuration that does not fit cannot take the machine
down. The model is the released SPARNetHD-Attn2D one (G 85.8M params,
3-scale D, VGG19 up to relu5_4 with random weights: same cost as loaded
ones), built from configs/sparnethd_attn2d.yaml.

Rows:
  g_forward     baseline: generator forward, no gradients, batch 1
  full_b1       full iteration (G step with pixel+VGG+GAN+FM, EMA, D step),
                batch 1
  full_b2       full iteration, batch 2, one pass
  full_b2_acc2  full iteration, batch 2 as 2 micro-batches of 1
                (model.accumulate_steps=2)

Usage:
  python benchmarks/bench_sparnethd.py                # all rows at 512
  python benchmarks/bench_sparnethd.py --size 256 --rows g_forward full_b1
The time is of the last of ``--steps`` steps (the first includes allocation).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = ('g_forward', 'full_b1', 'full_b2', 'full_b2_acc2')


def build_model(size, accumulate_steps):
    sys.path.insert(0, ROOT)
    import ppgan_ext  # noqa: F401
    import ppgan_ext.models.criterions.gan_losses  # noqa: F401
    import ppgan_ext.models.discriminators.multiscale  # noqa: F401
    from ppgan_ext.config import load_config
    from ppgan_ext.models.sparnethd_model import SPARNetHDModel
    cfg = load_config(os.path.join(ROOT, 'configs', 'sparnethd_attn2d.yaml'),
                      ['model.perceptual_criterion.vgg_weights=null'])
    m = dict(cfg.model)
    m.pop('name')
    m['generator'] = dict(m['generator'], in_size=size, out_size=size)
    m['perceptual_criterion'] = dict(m['perceptual_criterion'],
                                     random_vgg=True)
    m['accumulate_steps'] = accumulate_steps
    model = SPARNetHDModel(**m)
    lr = model.setup_lr_schedulers(dict(cfg.lr_scheduler))
    opts = model.setup_optimizers(lr, dict(cfg.optimizer))
    return model, opts


def child(row, size, steps):
    import numpy as np
    import paddle
    paddle.set_device('cpu')
    batch = 2 if row.startswith('full_b2') else 1
    model, opts = build_model(size, 2 if row == 'full_b2_acc2' else 1)
    rng = np.random.default_rng(0)
    data = {k: rng.uniform(-1, 1, (batch, 3, size, size)).astype('float32')
            for k in ('lq', 'gt')}
    model.setup_input(data)
    times = []
    for _ in range(steps):
        start = time.time()
        if row == 'g_forward':
            with paddle.no_grad():
                model.nets['generator'](model.lq)
        else:
            model.train_iter(opts)
        times.append(time.time() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({'row': row, 'seconds': times[-1],
                      'peak_gb': peak_kb / 1024**2}))


def rss_gb(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        return 0.0
    return 0.0


def run_row(row, size, steps, limit_gb):
    cmd = [sys.executable, os.path.abspath(__file__), '--child', row,
           '--size', str(size), '--steps', str(steps)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, rss_gb(proc.pid))
        if peak > limit_gb:
            proc.kill()
            proc.wait()
            return {'row': row, 'seconds': None, 'peak_gb': None,
                    'note': f'> {limit_gb:g} GB limit, stopped'}
        time.sleep(0.2)
    out = proc.stdout.read().strip().splitlines()
    if proc.returncode or not out:
        return {'row': row, 'seconds': None, 'peak_gb': None,
                'note': f'failed (exit {proc.returncode})'}
    return json.loads(out[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--size', type=int, default=512)
    p.add_argument('--steps', type=int, default=1)
    p.add_argument('--rows', nargs='+', default=list(ROWS), choices=ROWS)
    p.add_argument('--limit-gb', type=float, default=20.0,
                   help='stop a row whose RSS exceeds this')
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.size, args.steps)
        return
    print(f'SPARNetHD-Attn2D, {args.size}x{args.size}, CPU '
          f'({os.cpu_count()} cores), time of step {args.steps}')
    print(f'{"configuration":<14} {"step s":>9} {"peak RSS GB":>12}  note')
    for row in args.rows:
        r = run_row(row, args.size, args.steps, args.limit_gb)
        sec = f'{r["seconds"]:.1f}' if r['seconds'] is not None else '-'
        mem = f'{r["peak_gb"]:.2f}' if r['peak_gb'] is not None else '-'
        print(f'{row:<14} {sec:>9} {mem:>12}  {r.get("note", "")}',
              flush=True)


if __name__ == '__main__':
    main()
