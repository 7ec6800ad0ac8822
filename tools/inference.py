r"""Super-resolve images with any SR model of the plugin (or ESRGAN).

  python tools/inference.py -c configs/rdn_x4.yaml --weights rdn_x4.pdparams \
      --input photo.png folder/ 'shots/*.jpg' --out results/ [--tile 256]
  python tools/inference.py -c rdn_x4 --weights rdn_x4.pdparams ...  # by name
  # weights of a run: its config.yaml is used (-o applies on top)
  python tools/inference.py --weights output_dir/rdn_demo/RUN/iter_1000_weight.pdparams ...

On CPU the generator runs as an export under Paddle Inference with oneDNN
(made on the fly; --engine dynamic for the dynamic graph). Without --tile,
an image too large for memory is run in tiles automatically.

Results keep the input file names. Unreadable files are reported and
skipped. Grayscale inputs are expanded to RGB, RGBA loses its alpha channel,
16-bit inputs are reduced to 8-bit (see ppgan_ext/io/images.py).
"""
import argparse
import sys


def main(argv=None):
    from ppgan_ext.tool_config import (add_config_arguments,
                                       add_precision_argument)
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    add_config_arguments(p)
    p.add_argument('--weights', required=True, help='.pdparams weights')
    p.add_argument('--input', nargs='+', required=True,
                   help='image files, folders or globs')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--tile', type=int, default=None,
                   help='tile size in input pixels (default: config, else '
                   'whole image, or automatic tiles when it would not fit '
                   'in memory)')
    p.add_argument('--tile-overlap', type=int, default=None)
    p.add_argument('--device', default='auto')
    p.add_argument('--engine', default='auto',
                   choices=['auto', 'dynamic', 'inference'],
                   help='auto: Paddle Inference with oneDNN on CPU (an '
                   'export made on the fly), dynamic graph on GPU/NPU')
    add_precision_argument(p)
    args = p.parse_args(argv)

    import ppgan_ext
    from ppgan_ext.device import set_device
    from ppgan_ext.errors import exit_on_user_error
    with exit_on_user_error():
        set_device(args.device)
        written, skipped = ppgan_ext.predict(
            args.config_file, args.weights, args.input, args.out,
            tile=args.tile, tile_overlap=args.tile_overlap,
            engine=args.engine, overrides=args.opt,
            precision=args.precision)
    print(f'{len(written)} written to {args.out}, {len(skipped)} skipped')
    sys.exit(1 if skipped and not written else 0)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
