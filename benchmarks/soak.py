"""Soak test: does training memory stay flat after the first validation?

Each demo config (``configs/*_demo*.yaml``) is trained in a fresh subprocess
for ``--iters`` iterations, validating and checkpointing every
``iters / --validations`` iterations (VisualDL on, as the configs have it).
In that process a thread reads the RSS (``/proc/self/status`` VmRSS) every
``--every`` seconds, and the RSS and the bytes malloc has handed out and not
got back (glibc ``mallinfo2``: the live native heap, Paddle's tensors
included) are recorded right after every validation.

The table compares the first validation (every buffer, cache and lazily
built kernel exists by then) with the last one (same point of the
train/validate/save cycle). A config passes when the RSS grew by at most
``--tolerance-mb`` (default 16 MB) or ``--tolerance-pct`` (default 2 %) of
the first-validation RSS, whichever is larger: RSS moves by a few MB from
one validation to the next as the allocator reuses or returns pages. If the
RSS grew but the live heap did not, nothing is leaking: glibc keeps freed
memory in its per-thread arenas (``MALLOC_ARENA_MAX`` bounds them; try
``--arena-max 2``). The slope (MB per 1000 iterations, least squares over
every validation) tells a steady climb from a one-off step.

Run by hand (not a unit test; minutes per config on 2 CPU cores):

  python benchmarks/soak.py --quick                  # every config, short
  python benchmarks/soak.py --only rdn_x2_demo sparnet_demo --iters 1000
  python benchmarks/soak.py --only rdn_x2_demo --iters 2000 --arena-max 2
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1024.0 * 1024.0


def _pgan_schedule(iters, val_interval):
    """PGAN grows its networks at scale changes (more memory, legitimately):
    all growth and fade-ins happen before the first validation."""
    grow = max(2, val_interval // 4)
    jumps = max(1, grow // 4)
    return [f'model.max_iter_at_scale=[{grow},{grow},'
            f'{max(1, iters - 2 * grow)}]', 'model.alpha_n_jumps=[0,2,2]',
            f'model.alpha_size_jumps=[0,{jumps},{jumps}]']


# name -> (default iterations, --quick iterations, extra -o overrides)
CONFIGS = {
    'esrgan_psnr_x4_demo': (600, 60,
                            lambda n, v: [f'lr_scheduler.periods=[{n}]']),
    'rdn_x2_demo': (600, 60, lambda n, v: []),
    'sparnet_demo': (300, 30, lambda n, v: []),
    'sparnethd_demo': (150, 15, lambda n, v: []),
    'pgan_demo_lfw': (1200, 120, _pgan_schedule),
}


def rss_mb():
    """Resident set size of this process in MB (Linux ``/proc``)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no VmRSS in /proc/self/status')


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]


def heap_mb():
    """Bytes malloc has handed out and not got back, in MB (glibc >= 2.33;
    None elsewhere). Counts every arena and mmap-ed block."""
    try:
        fn = ctypes.CDLL('libc.so.6').mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    info = fn()
    return (info.uordblks + info.hblkhd) / MB


class Sampler(threading.Thread):
    """Reads RSS every ``every`` seconds; ``mark`` records a named point."""

    def __init__(self, every):
        super().__init__(daemon=True)
        self.every, self.samples, self.marks = every, [], []
        self.iteration = lambda: 0
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(self.every):
            self.samples.append((self.iteration(), rss_mb()))

    def mark(self, name):
        self.marks.append((name, self.iteration(), rss_mb(), heap_mb()))

    def stop(self):
        self._done.set()
        self.join()


def _hook_trainer(sampler):
    """Mark every validation; let the sampler see the current iteration."""
    from ppgan_ext.engine.trainer import ExtTrainer
    init, test = ExtTrainer.__init__, ExtTrainer.test

    def patched_init(self, *a, **kw):
        init(self, *a, **kw)
        sampler.iteration = lambda: int(getattr(self, 'current_iter', 0))

    def patched_test(self, *a, **kw):
        out = test(self, *a, **kw)
        sampler.mark('validation')
        return out

    ExtTrainer.__init__, ExtTrainer.test = patched_init, patched_test


def child(args):
    """Train one config in this process; write the RSS record as JSON."""
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    sampler = Sampler(args.every)
    sampler.mark('start')
    sampler.start()
    _hook_trainer(sampler)
    from ppgan_ext.cli import main
    interval = max(1, args.iters // args.validations)
    extra = CONFIGS[args.child][2](args.iters, interval)
    main(['-c', os.path.join('configs', args.child + '.yaml'), '--seed', '0',
          '-o', f'total_iters={args.iters}', f'validate.interval={interval}',
          f'snapshot_config.interval={interval}',
          f'log_config.interval={interval}', f'output_dir={args.out_dir}',
          *extra])
    sampler.mark('end')
    sampler.stop()
    with open(args.json, 'w') as f:
        json.dump({'samples': sampler.samples, 'marks': sampler.marks,
                   'iters': args.iters}, f)


def slope_per_1000(points):
    """Least-squares slope of ``(iteration, MB)`` points, MB per 1000 its."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    cov = sum((p[0] - mx) * (p[1] - my) for p in points)
    return 1000.0 * cov / var if var else 0.0


def verdict(growth, heap_growth, tol):
    if growth <= tol:
        return 'PASS'
    if heap_growth is not None and heap_growth <= tol:
        return 'FAIL (allocator: live heap flat)'
    return 'FAIL (leak)'


def summarise(name, record, tol_mb, tol_pct):
    """The table row of one run."""
    vals = [m for m in record['marks'] if m[0] == 'validation']
    (_, _, first, heap0), (_, _, last, heap1) = vals[0], vals[-1]
    end = [m[2] for m in record['marks'] if m[0] == 'end'][0]
    rss = [s[1] for s in record['samples']] + [m[2] for m in record['marks']]
    tol = max(tol_mb, first * tol_pct / 100.0)
    heap_growth = None if heap0 is None else heap1 - heap0
    return {'config': name, 'iters': record['iters'],
            'validations': len(vals), 'first_val': first, 'peak': max(rss),
            'last_val': last, 'end': end, 'growth': last - first,
            'growth_pct': 100.0 * (last - first) / first,
            'heap_first': heap0, 'heap_growth': heap_growth,
            'slope': slope_per_1000([(m[1], m[2]) for m in vals]),
            'tolerance': tol,
            'result': verdict(last - first, heap_growth, tol),
            'after_each_val': [(m[1], round(m[2], 1)) for m in vals]}


def run_one(name, iters, args):
    """Run ``name`` in a subprocess; returns its record (or raises)."""
    env = dict(os.environ)
    if args.arena_max:
        env['MALLOC_ARENA_MAX'] = str(args.arena_max)
    with tempfile.TemporaryDirectory(prefix=f'soak_{name}_') as tmp:
        out_json, log = os.path.join(tmp, 'rss.json'), os.path.join(tmp, 'log')
        cmd = [sys.executable, os.path.abspath(__file__), '--child', name,
               '--iters', str(iters), '--validations', str(args.validations),
               '--every', str(args.every), '--json', out_json,
               '--out-dir', os.path.join(tmp, 'run')]
        t0 = time.time()
        with open(log, 'w') as f:
            rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT,
                                 cwd=ROOT, env=env)
        if rc != 0:
            raise RuntimeError(f'{name}: training exited with {rc}\n'
                               f'{open(log).read()[-3000:]}')
        with open(out_json) as f:
            record = json.load(f)
        record['seconds'] = time.time() - t0
        return record


HEADER = ('| config | iters | vals | RSS after 1st val (MB) | peak RSS (MB) | '
          'RSS after last val (MB) | RSS at end (MB) | RSS growth (MB) | '
          'RSS growth (%) | slope (MB/1k it) | live heap after 1st val (MB) | '
          'live heap growth (MB) | result (tolerance MB) |')


def _opt(value, fmt):
    return 'n/a' if value is None else format(value, fmt)


def table_row(r):
    return (f"| {r['config']} | {r['iters']} | {r['validations']} | "
            f"{r['first_val']:.1f} | {r['peak']:.1f} | {r['last_val']:.1f} | "
            f"{r['end']:.1f} | {r['growth']:+.1f} | {r['growth_pct']:+.1f} | "
            f"{r['slope']:+.1f} | {_opt(r['heap_first'], '.1f')} | "
            f"{_opt(r['heap_growth'], '+.1f')} | "
            f"{r['result']} ({r['tolerance']:.0f}) |")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--only', nargs='+', choices=sorted(CONFIGS),
                   help='configs to run (default: all)')
    p.add_argument('--iters', type=int, default=None,
                   help='iterations per config (default: per config)')
    p.add_argument('--quick', action='store_true',
                   help='short runs (a tenth of the default iterations)')
    p.add_argument('--validations', type=int, default=None,
                   help='validations (and checkpoints) per run '
                   '(default 10, --quick 4)')
    p.add_argument('--every', type=float, default=0.5,
                   help='RSS sampling period in seconds')
    p.add_argument('--arena-max', type=int, default=None,
                   help='run with MALLOC_ARENA_MAX=N')
    p.add_argument('--tolerance-mb', type=float, default=16.0)
    p.add_argument('--tolerance-pct', type=float, default=2.0)
    p.add_argument('--child', help=argparse.SUPPRESS)
    p.add_argument('--json', help=argparse.SUPPRESS)
    p.add_argument('--out-dir', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.validations is None:
        args.validations = 4 if args.quick else 10
    if args.validations < 2:
        p.error('--validations must be at least 2')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    if args.arena_max:
        print(f'MALLOC_ARENA_MAX={args.arena_max}')
    print(HEADER)
    print('|' + '---|' * 13)
    rows = []
    for name in args.only or list(CONFIGS):
        default, quick, _ = CONFIGS[name]
        iters = args.iters or (quick if args.quick else default)
        record = run_one(name, iters, args)
        rows.append(summarise(name, record, args.tolerance_mb,
                              args.tolerance_pct))
        print(table_row(rows[-1]) + f"  <!-- {record['seconds']:.0f} s -->",
              flush=True)
    print('\nRSS (MB) after each validation, as (iteration, MB):')
    for row in rows:
        print(f"  {row['config']}: {row['after_each_val']}")
    return 0 if all(r['result'] == 'PASS' for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
