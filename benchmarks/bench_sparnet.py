"""SPARNet / SPARNet-Light-Attn3D speed and memory at 128x128 (run by hand).

Each configuration runs in a fresh subprocess so its peak RSS is its own:

* train batch B: Adam + pixel L1 steps (forward with attention maps,
  backward, update) on random [-1, 1] images; seconds/step and images/s
  (median over --steps timed steps after --warmup untimed ones);
* infer: eval-mode forward of one face, no gradients; ms per face;
* bicubic (baseline): the LR input itself, 128 -> 16 -> 128 with Pillow
  bicubic, per face.

Usage:
  python benchmarks/bench_sparnet.py                 # both variants, batch 8 and 32
  python benchmarks/bench_sparnet.py --steps 2 --warmup 1 --batches 8 32
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = {
    'SPARNet': dict(min_ch=32, max_ch=128, in_size=128, out_size=128,
                    min_feat_size=16, res_depth=10, relu_type='leakyrelu',
                    norm_type='bn', att_name='spar', bottleneck_size=4,
                    hourglass_width=64),
}
VARIANTS['SPARNet-Light-Attn3D'] = dict(VARIANTS['SPARNet'], res_depth=1,
                                        att_name='spar3d')


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(spec):
    """Measure one configuration in this process; returns a result dict."""
    sys.path.insert(0, ROOT)
    import numpy as np
    if spec['kind'] == 'bicubic':
        from ppgan_ext.datasets.face_transforms import lr_from_hr
        img = np.random.RandomState(0).randint(0, 256, (128, 128, 3),
                                               np.uint8)
        times = []
        for _ in range(spec['warmup'] + 50):
            t = time.perf_counter()
            lr_from_hr(img, 8)
            times.append(time.perf_counter() - t)
        return {'infer_ms': 1e3 * statistics.median(times[spec['warmup']:]),
                'rss_mb': peak_rss_mb()}

    import paddle
    import ppgan_ext  # noqa: F401
    from ppgan_ext.models.generators.sparnet import SPARNet
    paddle.seed(0)
    net = SPARNet(**VARIANTS[spec['variant']])
    n_params = sum(int(np.prod(p.shape)) for p in net.parameters()
                   if not p.stop_gradient)
    if spec['kind'] == 'infer':
        net.eval()
        x = paddle.rand([1, 3, 128, 128]) * 2 - 1
        times = []
        with paddle.no_grad():
            for _ in range(spec['warmup'] + spec['steps']):
                t = time.perf_counter()
                net(x).numpy()
                times.append(time.perf_counter() - t)
        return {'params': n_params, 'rss_mb': peak_rss_mb(),
                'infer_ms': 1e3 * statistics.median(times[spec['warmup']:])}

    b = spec['batch']
    opt = paddle.optimizer.Adam(2e-4, beta1=0.9, beta2=0.99,
                                parameters=net.parameters())
    x = paddle.rand([b, 3, 128, 128]) * 2 - 1
    y = paddle.rand([b, 3, 128, 128]) * 2 - 1
    times = []
    for _ in range(spec['warmup'] + spec['steps']):
        t = time.perf_counter()
        out, _ = net(x, return_attention=True)
        loss = paddle.nn.functional.l1_loss(out, y)
        loss.backward()
        opt.step()
        opt.clear_grad()
        float(loss)
        times.append(time.perf_counter() - t)
    step = statistics.median(times[spec['warmup']:])
    return {'params': n_params, 'rss_mb': peak_rss_mb(), 'step_s': step,
            'img_per_s': b / step}


def measure(spec):
    proc = subprocess.run([sys.executable, __file__, '--one',
                           json.dumps(spec)], capture_output=True, text=True)
    if proc.returncode:
        return {'error': proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--batches', type=int, nargs='+', default=[8, 32])
    p.add_argument('--steps', type=int, default=3, help='timed train steps')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--infer-steps', type=int, default=10)
    p.add_argument('--variants', nargs='+', default=list(VARIANTS),
                   choices=list(VARIANTS))
    p.add_argument('--one', help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return

    import paddle
    print(f'paddle {paddle.__version__}, {os.cpu_count()} CPU thread(s); '
          f'128x128 faces; train = Adam + L1, median of {args.steps} step(s) '
          f'after {args.warmup} warm-up')
    header = (f'{"model":<22}{"params":>11}{"batch":>6}{"s/step":>9}'
              f'{"img/s":>8}{"infer ms/face":>15}{"peak RSS MB":>13}')
    print(header)
    print('-' * len(header))
    base = measure({'kind': 'bicubic', 'warmup': 5})
    print(f'{"bicubic (baseline)":<22}{"0":>11}{"-":>6}{"-":>9}{"-":>8}'
          f'{base["infer_ms"]:>15.2f}{base["rss_mb"]:>13.0f}')
    for variant in args.variants:
        inf = measure({'kind': 'infer', 'variant': variant,
                       'warmup': 2, 'steps': args.infer_steps})
        for b in args.batches:
            r = measure({'kind': 'train', 'variant': variant, 'batch': b,
                         'warmup': args.warmup, 'steps': args.steps})
            if 'error' in r:
                print(f'{variant:<22} batch {b}: failed: {r["error"]}')
                continue
            infer = inf.get('infer_ms', float('nan'))
            print(f'{variant:<22}{r["params"]:>11,}{b:>6}{r["step_s"]:>9.2f}'
                  f'{r["img_per_s"]:>8.2f}{infer:>15.1f}{r["rss_mb"]:>13.0f}')
        print(f'{variant:<22}{"(inference only)":>26}{"":>9}{"":>8}'
              f'{inf.get("infer_ms", float("nan")):>15.1f}'
              f'{inf.get("rss_mb", float("nan")):>13.0f}')


if __name__ == '__main__':
    main()
