r"""Write the paired LR/HR folders an SR config reads, from a folder of HR images.

Output layout (animeSR style; every SR config of the plugin reads it):
  OUT/<split>        HR images, mod-cropped to a multiple of every scale
  OUT/<split>_X<s>   LR images for scale s, same file names

Degradations:
  bicubic  bicubic down-scaling (DIV2K / Set5 "BI")
  blur     nearest down-scaling, then Gaussian blur (home-made datasets)
  downup   bicubic down then back up to the HR size (SPARNet-style input)

Examples:
  python tools/prepare_data.py --hr DIV2K_train_HR --out data/DIV2K --split train --scales 2 3 4
  python tools/prepare_data.py --hr Set5/HR --out data/Set5 --split test --scales 4
  python tools/prepare_data.py --hr my_anime_frames --out data/animeSR --split train \
      --scales 4 --degradation blur --kernel-size 7 --sigma 1.2
"""
import argparse
import os
import sys


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--hr', required=True, help='folder of HR images')
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--split', default='train', help='train, test, ...')
    p.add_argument('--scales', type=int, nargs='+', default=[4])
    p.add_argument('--degradation', default='bicubic',
                   choices=['bicubic', 'blur', 'downup'])
    p.add_argument('--kernel-size', type=int, default=5,
                   help='Gaussian kernel size for --degradation blur')
    p.add_argument('--sigma', type=float, default=1.0,
                   help='Gaussian sigma for --degradation blur')
    args = p.parse_args(argv)

    from ppgan_ext.prepare.pairs_writer import write_pairs
    from ppgan_ext.errors import exit_on_user_error
    from ppgan_ext.output_paths import ensure_writable_dir
    kwargs = ({'kernel_size': args.kernel_size, 'sigma': args.sigma}
              if args.degradation == 'blur' else {})
    with exit_on_user_error(also=(ValueError, )):
        ensure_writable_dir(args.out)
        report = write_pairs(args.hr, args.out, args.split, args.scales,
                             args.degradation, **kwargs)
    print(f'{os.path.join(args.out, args.split)}: {report.summary()}; '
          'pairs checked')
    if not any(report.written.values()):
        sys.exit(1)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
