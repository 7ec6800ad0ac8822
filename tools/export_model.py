r"""Export a generator for Paddle Inference and check the export.

  python tools/export_model.py -c configs/rdn_x4.yaml --load rdn_x4.pdparams \
      --out inference_model/rdn_x4

Writes <out>/<model>.json + .pdiparams (paddle.jit.save; dynamic batch, and
dynamic height/width for image generators), then loads the export with
paddle.inference -- with oneDNN, the CPU default, and without -- runs it on a
sample and prints the max abs difference from the dynamic graph; exits 1 if
it is above --atol (1e-4) times the output's scale (max |output|, at least
1: float32 rounding grows with the values, and an untrained RDN outputs
values near 1e4). The EMA generator is exported when the weights have one;
PGAN weights give a generator with as many scales as they hold.
"""
import argparse
import os
import sys


def main(argv=None):
    from ppgan_ext.tool_config import add_config_arguments
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    add_config_arguments(p)
    p.add_argument('--load', required=True, help='weights (.pdparams)')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--size', type=int, default=None,
                   help='sample height/width for the check (default: the '
                   "generator's in_size, else 32)")
    p.add_argument('--atol', type=float, default=1e-4)
    p.add_argument('--onnx', action='store_true',
                   help='also export ONNX with paddle2onnx (if installed)')
    args = p.parse_args(argv)

    import ppgan_ext  # noqa: F401
    from ppgan_ext.deploy.export import (export_error, export_generator,
                                         sample_input)
    from ppgan_ext.deploy.generator_weights import load_generator
    from ppgan_ext.errors import exit_on_user_error
    from ppgan_ext.output_paths import ensure_writable_dir
    from ppgan_ext.progress import echo, stages
    from ppgan_ext.tool_config import load_tool_config, run_name
    from ppgan_ext.value_range import resolve_value_range
    with exit_on_user_error():
        config, cfg = load_tool_config(args.config_file, args.opt, args.load,
                                       '--load')
        value_range = resolve_value_range(cfg)
        ensure_writable_dir(args.out)
        net, _ = load_generator(cfg, args.load)
    with stages('export', 4 if args.onnx else 3) as start:
        start('paddle.jit.to_static')
        prefix = export_generator(net, os.path.join(args.out,
                                                    run_name(config)),
                                  value_range=value_range)
        size = args.size or getattr(net, 'in_size', None) or 32
        sample = sample_input(net, batch=1, size=size,
                              value_range=value_range)
        worst = scale = 0.0
        for mkldnn in (True, False):
            engine = 'oneDNN' if mkldnn else 'plain'
            start(f'check: Paddle Inference ({engine})')
            diff, scale = export_error(net, prefix, sample, mkldnn=mkldnn)
            worst = max(worst, diff)
            echo(f'{prefix}: Paddle Inference ({engine} CPU) vs dynamic '
                 f'graph on {list(sample.shape)}: max abs diff {diff:.3g} '
                 f'(max |output| {scale:.3g})')
        tolerance = args.atol * max(1.0, scale)
        if args.onnx:
            from ppgan_ext.deploy.onnx_export import export_onnx
            from tools.quiet import quiet_onnx
            start('ONNX export and check')
            with quiet_onnx():
                export_onnx(prefix, sample, tolerance, log=echo)
    if worst > tolerance:
        print(f'FAILED: {worst:.3g} > {tolerance:.3g} (atol {args.atol} x '
              'output scale)', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    import _tool
    _tool.run(main)
