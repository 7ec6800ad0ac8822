r"""Sample faces from PGAN weights: N images + a grid for a seed, or a latent
walk between two seeds.

  python tools/pgan_sample.py -c configs/pgan_demo_lfw.yaml --weights W.pdparams \
      --out samples/ --num 64 --seed 0 --zoom 8
  python tools/pgan_sample.py -c configs/pgan.yaml --weights W.pdparams \
      --out walk/ --interpolate 3 7 --steps 10
"""
import argparse
import os


def main(argv=None):
    from ppgan_ext.tool_config import (add_config_arguments,
                                       add_precision_argument)
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    add_config_arguments(p)
    p.add_argument('--weights', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--num', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--alpha', type=float, default=0.0,
                   help='fade-in of the last scale (0: fully grown)')
    p.add_argument('--interpolate', type=int, nargs=2, default=None,
                   metavar=('SEED_A', 'SEED_B'))
    p.add_argument('--steps', type=int, default=8)
    p.add_argument('--zoom', type=int, default=1,
                   help='nearest up-scaling of the grid, for small images')
    p.add_argument('--device', default='auto')
    p.add_argument('--engine', default='auto',
                   choices=['auto', 'dynamic', 'inference'],
                   help='auto: Paddle Inference with oneDNN on CPU (an '
                   'export made on the fly), dynamic graph on GPU/NPU')
    add_precision_argument(p)
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan_ext.io.images import write_image
    from ppgan_ext.deploy.pgan_sampler import PGANSampler
    from ppgan_ext.device import set_device
    from ppgan_ext.errors import exit_on_user_error
    from ppgan_ext.output_paths import ensure_writable_dir
    with exit_on_user_error(also=(ValueError, )):
        set_device(args.device)
        ensure_writable_dir(args.out)
        sampler = PGANSampler(args.config_file, args.weights, args.alpha,
                              overrides=args.opt, engine=args.engine,
                              precision=args.precision)
    if args.interpolate:
        images = sampler.interpolate(*args.interpolate, steps=args.steps)
        names = [f'walk_{i}.png' for i in range(len(images))]
        cols = len(images)
    else:
        images = sampler.sample(args.num, args.seed)
        names = [f'generated_{i}.png' for i in range(len(images))]
        cols = None
    for name, img in zip(names, images):
        write_image(os.path.join(args.out, name), img)
    write_image(os.path.join(args.out, 'grid.png'),
                sampler.grid(images, cols, args.zoom))
    print(f'{len(images)} images and grid.png written to {args.out}')


if __name__ == '__main__':
    import _tool
    _tool.run(main)
