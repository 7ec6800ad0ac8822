"""The README demo: train a small model on the embedded data, then re-evaluate.

Runs tools/main.py twice (train, then --evaluate-only --load on the final
weights) and prints the validation PSNR/SSIM of both next to bicubic
interpolation on the same held-out photos.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

METRIC = re.compile(r'Metric (\w+): ([-\d.]+|inf)')


def run_main(args):
    cmd = [sys.executable, '-u', os.path.join(ROOT, 'tools', 'main.py')] + args
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if 'ppgan' in line and ('Iter:' in line or 'Metric' in line):
            print('  ' + line, flush=True)
    if proc.returncode:
        print(proc.stdout[-4000:])
        raise SystemExit(f'tools/main.py failed ({proc.returncode})')
    found = METRIC.findall(proc.stdout)
    return {k: float(v) for k, v in found[-2:]} if found else {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', default='configs/esrgan_psnr_x4_demo.yaml')
    parser.add_argument('--out', default='output_dir/demo')
    parser.add_argument('--iters', type=int, default=None,
                        help='override total_iters')
    parser.add_argument('--scale', type=int, default=4)
    args = parser.parse_args(argv)

    from ppgan_ext.datasets.demo_data import build_demo_sr
    from ppgan_ext.metrics.sr_baseline import bicubic_baseline
    data = build_demo_sr(os.path.join(ROOT, 'data'))

    extra = ['-o', f'output_dir={args.out}']
    if args.iters:
        extra += [f'total_iters={args.iters}']
    trained = run_main(['-c', args.config, '--seed', '0'] + extra)
    runs = sorted(glob.glob(os.path.join(ROOT, args.out, '*')),
                  key=os.path.getmtime)
    weights = sorted(glob.glob(os.path.join(runs[-1], 'iter_*_weight.pdparams')),
                     key=lambda p: int(re.findall(r'iter_(\d+)_', p)[0]))
    evaluated = run_main(['-c', args.config, '--evaluate-only', '--load',
                          weights[-1]] + extra)
    base = bicubic_baseline(f'{data}/test_X{args.scale}', f'{data}/test',
                            args.scale)
    print(f'\nheld-out photos ({base["images"]}), PSNR/SSIM on Y, '
          f'crop border {args.scale}:')
    print(f'{"":34s} {"PSNR":>8s} {"SSIM":>8s}')
    print(f'{"bicubic":34s} {base["psnr"]:8.3f} {base["ssim"]:8.4f}')
    for name, m in (('validation at the end of training', trained),
                    ('--evaluate-only --load (weights)', evaluated)):
        print(f'{name:34s} {m.get("psnr", float("nan")):8.3f} '
              f'{m.get("ssim", float("nan")):8.4f}')
    print(f'\nrun folder: {runs[-1]}\nVisualDL: visualdl --logdir {runs[-1]}')


if __name__ == '__main__':
    main()
