"""RDN speed and memory on this machine, bicubic interpolation as baseline.

Rows (each in a fresh subprocess, so peak RSS is per row):
  train  -- one optimisation step (forward, L1, backward, Adam) of the paper
            RDN (D=16, C=8, G=64, G0=64) on a batch of 16 LR patches:
            32x32 at x2/x3, 48x48 at x4;
  infer  -- one forward of a 256x256 LR image (no_grad, eval mode);
  bicubic -- paddle.nn.functional.interpolate(mode='bicubic') on the same
            batch / image, and PIL's bicubic resize of the 256x256 image.

On a CPU the paper network is slow (minutes per batch-16 step), so each row
times only ``--steps`` repetitions after ``--warmup`` untimed ones; the
table says how many. Run by hand:

  python benchmarks/bench_rdn.py                  # all rows, 2 timed steps
  python benchmarks/bench_rdn.py --rows train_x2 infer_x4 --steps 3
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAPER = dict(num_features=64, num_blocks=16, num_layers=8, growth_rate=64,
             kernel_size=3, upsampler='official')
BATCH = 16
TRAIN_PATCH = {2: 32, 3: 32, 4: 48}
INFER_SIZE = 256

ROWS = {
    'bicubic_train_x2': ('bicubic', 'train', 2),
    'train_x2': ('rdn', 'train', 2),
    'train_x3': ('rdn', 'train', 3),
    'train_x4': ('rdn', 'train', 4),
    'bicubic_infer_x4': ('bicubic', 'infer', 4),
    'pil_bicubic_infer_x4': ('pil', 'infer', 4),
    'infer_x2': ('rdn', 'infer', 2),
    'infer_x4': ('rdn', 'infer', 4),
}


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def worker(row, steps, warmup):
    """Run one row in this process; return its measurements."""
    kind, mode, scale = ROWS[row]
    if kind == 'pil':
        import numpy as np
        from PIL import Image
        img = Image.fromarray(np.random.RandomState(0).randint(
            0, 256, (INFER_SIZE, INFER_SIZE, 3), dtype=np.uint8))
        size = (INFER_SIZE * scale, INFER_SIZE * scale)
        times = _timed(lambda: img.resize(size, Image.BICUBIC), steps,
                       warmup)
        return dict(times=times, images=1, params=0)

    sys.path.insert(0, ROOT)
    import ppgan_ext  # noqa: F401
    import paddle
    import paddle.nn.functional as F
    from ppgan.models.sr_model import init_sr_weight
    from ppgan_ext.models.generators.rdn import RDN

    paddle.seed(0)
    if mode == 'train':
        size, n = TRAIN_PATCH[scale], BATCH
    else:
        size, n = INFER_SIZE, 1
    lq = paddle.rand([n, 3, size, size])
    gt = paddle.rand([n, 3, size * scale, size * scale])

    if kind == 'bicubic':
        def step():
            F.interpolate(lq, scale_factor=scale, mode='bicubic',
                          align_corners=False).numpy()
        return dict(times=_timed(step, steps, warmup), images=n, params=0)

    net = RDN(scale=scale, **PAPER)
    init_sr_weight(net)
    params = sum(int(p.size) for p in net.parameters())
    if mode == 'train':
        net.train()
        opt = paddle.optimizer.Adam(1e-4, parameters=net.parameters())

        def step():
            loss = F.l1_loss(net(lq), gt)
            loss.backward()
            opt.step()
            opt.clear_grad()
            float(loss)
    else:
        net.eval()

        def step():
            with paddle.no_grad():
                net(lq).numpy()
    return dict(times=_timed(step, steps, warmup), images=n, params=params)


def run_row(row, steps, warmup):
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', row,
           '--steps', str(steps), '--warmup', str(warmup)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{')]
    if proc.returncode or not lines:
        raise SystemExit(f'{row} failed ({proc.returncode}):\n'
                         f'{proc.stderr[-3000:]}')
    return json.loads(lines[-1])


def describe(row):
    kind, mode, scale = ROWS[row]
    name = {'rdn': 'RDN paper', 'bicubic': 'bicubic (paddle)',
            'pil': 'bicubic (PIL)'}[kind]
    if mode == 'train':
        what = (f'train step, {BATCH}x{TRAIN_PATCH[scale]}^2 LR'
                if kind == 'rdn' else
                f'upscale {BATCH}x{TRAIN_PATCH[scale]}^2 LR')
    else:
        what = f'infer {INFER_SIZE}^2 LR'
    return f'{name} x{scale}', what


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--rows', nargs='+', default=list(ROWS),
                   choices=list(ROWS))
    p.add_argument('--steps', type=int, default=2,
                   help='timed repetitions per row (RDN rows)')
    p.add_argument('--warmup', type=int, default=0,
                   help='untimed repetitions first (RDN rows)')
    p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        kind = ROWS[args.worker][0]
        steps, warmup = ((args.steps, args.warmup) if kind == 'rdn'
                         else (20, 2))
        result = worker(args.worker, steps, warmup)
        result['peak_rss_mb'] = _peak_rss_mb()
        print(json.dumps(result), flush=True)
        return

    import platform
    print(f'# {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} logical CPUs, '
          f'load average {os.getloadavg()[0]:.2f} at start')
    header = (f'{"model":22s} {"task":30s} {"params":>11s} {"timed":>5s} '
              f'{"s/step":>9s} {"images/s":>9s} {"peak RSS MB":>11s}')
    print(header)
    print('-' * len(header))
    for row in args.rows:
        r = run_row(row, args.steps, args.warmup)
        mean = sum(r['times']) / len(r['times'])
        model, task = describe(row)
        params = f'{r["params"]:,}' if r['params'] else '-'
        print(f'{model:22s} {task:30s} {params:>11s} {len(r["times"]):5d} '
              f'{mean:9.3f} {r["images"] / mean:9.3g} '
              f'{r["peak_rss_mb"]:11.0f}', flush=True)
    print(f'# load average {os.getloadavg()[0]:.2f} at end')


if __name__ == '__main__':
    main()
