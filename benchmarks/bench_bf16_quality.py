"""bf16 vs fp32 inference quality with trained weights (the evidence behind
``ppgan_ext.deploy.precision.BF16_AUTO``).

    python benchmarks/bench_bf16_quality.py \\
        --sr configs/rdn_x2_demo.yaml RUN/iter_400_weight.pdparams \\
        --sr configs/esrgan_psnr_x4_demo.yaml RUN/iter_200_weight.pdparams \\
        --face configs/sparnet_demo.yaml RUN/iter_150_weight.pdparams \\
        --pgan configs/pgan_demo_lfw.yaml RUN/iter_600_weight.pdparams

SR and face models run through ``SRPredictor`` (Paddle Inference, oneDNN)
in fp32 and in bf16 on the held-out photos of their config's test set
(``dataset.test``: SR pairs, or the faces' 16x16 LR inputs against their
128x128 originals); the table gives the mean PSNR on Y (ppgan's
``calculate_psnr``, border = scale) of each precision, their difference, and
the largest difference between the two outputs: in the model's own output
units and in 8-bit levels. PGAN: 64 samples of fixed latents, bf16 vs fp32
(PSNR of one against the other, max difference).
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def sr_pairs(cfg, face):
    from ppgan_ext.io.images import read_image
    from ppgan_ext.datasets.sr_folder_dataset import check_sr_pairs
    test = cfg['dataset']['test']
    if face:
        folder = test['folder']
        names = sorted(os.listdir(folder))
        return [(read_image(os.path.join(folder + '_LR', n)),
                 read_image(os.path.join(folder, n))) for n in names]
    return [(read_image(p['lq_path']), read_image(p['gt_path']))
            for p in check_sr_pairs(test['lq_folder'], test['gt_folder'],
                                    test['scale'])]


def sr_quality(config, weights, face):
    from ppgan.metrics.psnr_ssim import calculate_psnr
    from ppgan_ext.config import load_config
    from ppgan_ext.io.images import bicubic_resize
    from ppgan_ext.deploy.predictor import SRPredictor
    cfg = load_config(config)
    preds = {p: SRPredictor(cfg, weights, engine='inference', precision=p,
                            log=lambda *_: None) for p in ('fp32', 'bf16')}
    psnr = {p: [] for p in preds}
    worst_float = worst_u8 = 0.0
    for lr, gt in sr_pairs(cfg, face):
        outs, floats = {}, {}
        for p, pred in preds.items():
            if face:
                pred.pre_upsample = gt.shape[0] // lr.shape[0]
            outs[p] = pred.predict(lr)
            src = bicubic_resize(lr, gt.shape[1::-1]) if face else lr
            floats[p] = pred._run((src.transpose(2, 0, 1).astype(np.float32)
                                   - pred.mean) / pred.std)
        scale = gt.shape[0] // lr.shape[0]
        crop = 0 if face else scale
        for p in preds:
            psnr[p].append(calculate_psnr(outs[p], gt, crop,
                                          test_y_channel=True))
        worst_u8 = max(worst_u8, float(np.abs(outs['bf16'].astype(int)
                                              - outs['fp32']).max()))
        worst_float = max(worst_float, float(
            np.abs(floats['bf16'] - floats['fp32']).max()))
    name = type(preds['fp32'].net).__name__
    return name, {p: float(np.mean(v)) for p, v in psnr.items()}, \
        worst_float, worst_u8, len(psnr['fp32'])


def pgan_quality(config, weights):
    from ppgan_ext.deploy.pgan_sampler import PGANSampler
    from ppgan_ext.deploy.export import run_predictor
    samplers = {p: PGANSampler(config, weights, engine='inference',
                               precision=p, log=lambda *_: None)
                for p in ('fp32', 'bf16')}
    z = samplers['fp32'].latents(64, seed=0)
    outs = {}
    for p, s in samplers.items():
        s.generate(z[:1])  # builds the predictor
        outs[p] = run_predictor(s._predictor, z)
    diff = np.abs(outs['bf16'] - outs['fp32'])
    mse = float(np.mean(diff ** 2)) / 4.0  # range [-1, 1]: peak 2
    u8 = np.abs(np.round((outs['bf16'] + 1) * 127.5).clip(0, 255)
                - np.round((outs['fp32'] + 1) * 127.5).clip(0, 255))
    return float(10 * np.log10(1.0 / mse)), float(diff.max()), \
        float(u8.max())


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--sr', nargs=2, action='append', default=[],
                   metavar=('CONFIG', 'WEIGHTS'))
    p.add_argument('--face', nargs=2, action='append', default=[],
                   metavar=('CONFIG', 'WEIGHTS'))
    p.add_argument('--pgan', nargs=2, action='append', default=[],
                   metavar=('CONFIG', 'WEIGHTS'))
    args = p.parse_args()
    import ppgan_ext  # noqa: F401
    print(f'{"config":28s} {"generator":10s} {"images":>6s} '
          f'{"PSNR-Y fp32":>11s} {"bf16":>7s} {"bf16-fp32":>9s} '
          f'{"max |d| out":>11s} {"max |d| 8-bit":>13s}')
    for kind, runs in (('sr', args.sr), ('face', args.face)):
        for config, weights in runs:
            name, psnr, worst, u8, n = sr_quality(config, weights,
                                                  kind == 'face')
            w = f'{worst:.2e}'
            print(f'{os.path.basename(config):28s} {name:10s} {n:6d} '
                  f'{psnr["fp32"]:11.3f} {psnr["bf16"]:7.3f} '
                  f'{psnr["bf16"] - psnr["fp32"]:+9.3f} {w:>11s} '
                  f'{u8:13.0f}', flush=True)
    for config, weights in args.pgan:
        psnr, worst, u8 = pgan_quality(config, weights)
        print(f'{os.path.basename(config):28s} {"PGAN G":10s} {64:6d} '
              f'bf16 vs fp32 PSNR {psnr:.2f} dB {worst:11.2e} {u8:13.0f}')


if __name__ == '__main__':
    main()
