"""The README demo (`make demo`): train this plugin's RDN on the embedded
photos.

1. trains configs/rdn_x2_demo.yaml (or --config, any SR config) with
   tools/main.py --seed 0, saving the validation images;
2. prints PSNR/SSIM on Y of the held-out photos next to bicubic
   interpolation, and fails (exit 1) if the model does not beat it;
3. runs tools/inference.py on a held-out photo with the trained weights and
   checks that it gives the trainer's own validation output for it (within
   rounding: mean abs <= 1/255, no pixel off by more than 2/255);
4. writes a comparison picture (bicubic | RDN | HR, a zoomed crop) into
   the run folder and prints the VisualDL command.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METRIC = re.compile(r'Metric (\w+): ([-\d.]+|inf|nan)')
CROPS = {'chelsea': (40, 110, 160), 'astronaut': (40, 80, 160)}  # y, x, side


def run_tool(script, args, show=lambda line: False):
    """Run ``tools/<script>``, echoing the lines ``show`` picks as they come;
    returns its output."""
    cmd = [sys.executable, '-u', os.path.join(ROOT, 'tools', script)] + args
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if show(line):
            print('  ' + line.rstrip().split('INFO: ')[-1], flush=True)
    output = ''.join(lines)
    if proc.wait():
        print(output[-4000:])
        raise SystemExit(f'tools/{script} failed ({proc.returncode})')
    return output


def shown(path):
    """``path`` relative to the repository when it is inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith('..') else rel


def only_child(parent):
    """The run folder tools/main.py made in the fresh ``parent``."""
    runs = [p for p in glob.glob(os.path.join(parent, '*'))
            if os.path.isdir(p)]
    if len(runs) != 1:
        raise SystemExit(f'{parent}: expected one run folder, found {runs}')
    return runs[0]


def newest(paths, what):
    """The path with the highest ``iter<N>`` / ``iter_<N>`` number."""
    def iteration(path):
        found = re.findall(r'iter_?(\d+)', os.path.basename(path))
        return int(found[0]) if found else -1
    if not paths:
        raise SystemExit(f'no {what} found')
    return max(paths, key=iteration)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--config', default='configs/rdn_x2_demo.yaml')
    parser.add_argument('--out', default='output_dir/demo',
                        help='each demo run gets a fresh folder in here')
    parser.add_argument('--iters', type=int, default=None,
                        help='override total_iters')
    parser.add_argument('--photo', default='chelsea', choices=sorted(CROPS),
                        help='held-out photo for inference and the picture')
    args = parser.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan.metrics.psnr_ssim import calculate_psnr
    from ppgan_ext.config import load_config
    from ppgan_ext.io.images import bicubic_resize, read_image, write_image
    from ppgan_ext.prepare.demo_data import build_demo_sr
    from ppgan_ext.prepare.baselines import bicubic_baseline
    from tools.make_figures import side_by_side

    build_demo_sr(os.path.join(ROOT, 'data'))
    cfg = load_config(os.path.join(ROOT, args.config))
    model = cfg['model']['generator']['name']  # RDN for the default config
    test = cfg['dataset']['test']
    scale = int(test['scale'])
    lq_dir, gt_dir = (os.path.join(ROOT, test[k])
                      for k in ('lq_folder', 'gt_folder'))

    os.makedirs(os.path.join(ROOT, args.out), exist_ok=True)
    parent = tempfile.mkdtemp(prefix=time.strftime('%Y%m%d-%H%M%S-'),
                              dir=os.path.join(ROOT, args.out))
    opts = [f'output_dir={parent}', 'validate.save_img=true']
    if args.iters:
        opts.append(f'total_iters={args.iters}')
    start = time.time()
    log = run_tool('main.py', ['-c', args.config, '--seed', '0', '-o'] + opts,
                   show=lambda line: 'Iter:' in line or 'Metric' in line)
    minutes = (time.time() - start) / 60
    trained = {k: float(v) for k, v in METRIC.findall(log)}  # the last
    run = only_child(parent)
    weights = newest(glob.glob(os.path.join(run, 'iter_*_weight.pdparams')),
                     f'weights in {run}')
    iters = int(re.findall(r'iter_(\d+)_', weights)[0])
    base = bicubic_baseline(lq_dir, gt_dir, scale)

    print(f'\ntrained {iters} iterations in {minutes:.1f} minutes; held-out '
          f'photos ({base["images"]}), Y channel, crop border {scale}:')
    print(f'{"":24s} {"PSNR":>8s} {"SSIM":>8s}')
    print(f'{"bicubic":24s} {base["psnr"]:8.2f} {base["ssim"]:8.4f}')
    print(f'{"%s x%d (%d it.)" % (model, scale, iters):24s} '
          f'{trained["psnr"]:8.2f} {trained["ssim"]:8.4f}')
    beats = (trained['psnr'] > base['psnr'] and
             trained['ssim'] > base['ssim'])
    print(f'{model} {"beats" if beats else "does NOT beat"} bicubic: '
          f'{trained["psnr"] - base["psnr"]:+.2f} dB PSNR-Y, '
          f'{trained["ssim"] - base["ssim"]:+.4f} SSIM-Y')

    lq_path = os.path.join(lq_dir, f'{args.photo}.png')
    out_dir = os.path.join(run, 'inference')
    run_tool('inference.py', ['-c', args.config, '--weights', weights,
                              '--input', lq_path, '--out', out_dir])
    sr = read_image(os.path.join(out_dir, f'{args.photo}.png'))
    trainer_png = newest(
        glob.glob(os.path.join(run, 'visual_test',
                               f'*{args.photo}_output.png')),
        f'validation image of {args.photo} in {run}/visual_test')
    diff = np.abs(sr.astype(np.int16) - read_image(trainer_png))
    same = diff.mean() <= 1 and diff.max() <= 2
    print(f'tools/inference.py output vs the trainer\'s validation output '
          f'{shown(trainer_png)}: mean abs {diff.mean():.2g}/255, max '
          f'{diff.max()}/255 ({np.count_nonzero(diff)} of {diff.size} '
          'values differ) -> '
          f'{"equal within rounding" if same else "DIFFERENT"}')

    hr = read_image(os.path.join(gt_dir, f'{args.photo}.png'))
    bic = bicubic_resize(read_image(lq_path), (hr.shape[1], hr.shape[0]))
    psnr = [calculate_psnr(img, hr, scale, test_y_channel=True)
            for img in (bic, sr)]
    picture = os.path.join(run, f'comparison_{args.photo}.png')
    write_image(picture, side_by_side(
        [(bic, f'bicubic {psnr[0]:.2f} dB'), (sr, f'{model} {psnr[1]:.2f} dB'),
         (hr, 'HR')], crop=CROPS[args.photo], zoom=2))
    print(f'comparison (bicubic | {model} | HR; PSNR-Y of the whole photo): '
          f'{shown(picture)}')
    print(f'run folder: {shown(run)}\nVisualDL:   visualdl --logdir '
          f'{shown(run)} --port 8040')
    if not (beats and same):
        sys.exit(1)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
