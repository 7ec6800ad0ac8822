"""Inference latency and memory: dynamic graph vs exported Paddle Inference
(oneDNN / plain) vs ONNX Runtime, per generator at the size it is used at;
and tiled super-resolution memory as the image grows.

    python benchmarks/bench_inference.py            # everything (slow)
    python benchmarks/bench_inference.py --quick    # small sizes, 1 repeat
    python benchmarks/bench_inference.py --only rdn_x4 sparnet
    python benchmarks/bench_inference.py --tiled-only  # memory as size grows

Each row runs in a fresh subprocess so its peak RSS is its own. Weights are
random (latency does not depend on them). The dynamic-graph row of each model
is the baseline its ratios are measured against.
"""
import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# name: (generator kwargs, input: ('image', C, H) or ('latent', dim), batch)
MODELS = {
    'rdn_x4': ({'name': 'RDN', 'scale': 4}, ('image', 3, 128), 1),
    'esrgan_x4': ({'name': 'RRDBNet', 'in_nc': 3, 'out_nc': 3, 'nf': 64,
                   'nb': 23}, ('image', 3, 128), 1),
    'sparnet': ({'name': 'SPARNet'}, ('image', 3, 128), 1),
    'sparnet_light_attn3d': ({'name': 'SPARNet', 'res_depth': 1,
                              'att_name': 'spar3d'}, ('image', 3, 128), 1),
    'sparnethd_attn2d': ({'name': 'SPARNet', 'min_ch': 32, 'max_ch': 512,
                          'in_size': 512, 'out_size': 512,
                          'min_feat_size': 32, 'norm_type': 'in',
                          'spectral_norm': True}, ('image', 3, 512), 1),
    'pgan_128': ({'name': 'PGANGenerator', 'latent_dim': 512,
                  'depths': [512, 512, 512, 512, 256, 128]}, ('latent', 512),
                 16),
}
QUICK_SIZE = {'image': 32}


def build(gen_cfg):
    import ppgan_ext  # noqa: F401
    from ppgan.models.generators.builder import build_generator
    net = build_generator(dict(gen_cfg))
    net.eval()
    return net


def sample(spec, batch, quick):
    import numpy as np
    rng = np.random.RandomState(0)
    if spec[0] == 'latent':
        return rng.randn(batch, spec[1]).astype('float32')
    size = QUICK_SIZE['image'] if quick else spec[2]
    return rng.uniform(-1, 1, (batch, spec[1], size, size)).astype('float32')


def timed(fn, repeats):
    fn()  # warm-up (graph build, oneDNN primitive creation)
    best = float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run_one(model, backend, quick, repeats, workdir):
    """Child process: one model x backend; prints a JSON line."""
    import paddle
    from ppgan_ext.deploy.export import (create_predictor, export_generator,
                                         run_predictor)
    gen_cfg, spec, batch = MODELS[model]
    paddle.seed(0)
    net = build(gen_cfg)
    x = sample(spec, batch, quick)
    if backend == 'dynamic':
        xt = paddle.to_tensor(x)

        def fn():
            with paddle.no_grad():
                net(xt)
    else:
        prefix = export_generator(net, os.path.join(workdir, model))
        if backend == 'onnxruntime':
            from ppgan_ext.deploy.onnx_export import export_onnx
            export_onnx(prefix, x, log=lambda *_: None)
            import onnxruntime
            sess = onnxruntime.InferenceSession(
                prefix + '.onnx', providers=['CPUExecutionProvider'])
            feed = {sess.get_inputs()[0].name: x}

            def fn():
                sess.run(None, feed)
        else:
            pred = create_predictor(prefix, mkldnn=(backend == 'onednn'))

            def fn():
                run_predictor(pred, x)
    seconds = timed(fn, repeats)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'rss_mb': rss,
                      'shape': list(x.shape)}))


TILED_RDN = {'name': 'RDN', 'scale': 4, 'num_features': 32, 'num_blocks': 3,
             'num_layers': 3, 'growth_rate': 16}


def run_tiled(size, tile, engine, workdir):
    """Child: a small RDN x4 (the demo's width; memory behaviour is what is
    measured, and the paper RDN would take hours at 4000x3000) over an HxW
    image in tiles, run by the dynamic graph or (the CPU default of
    tools/inference.py) its export under Paddle Inference with oneDNN."""
    import numpy as np
    import paddle
    from ppgan_ext.deploy.export import (create_predictor, export_generator,
                                         run_predictor)
    from ppgan_ext.deploy.tiling import tiled_apply
    paddle.seed(0)
    net = build(TILED_RDN)
    h, w = size
    img = np.random.RandomState(0).rand(3, h, w).astype('float32')
    if engine == 'onednn':
        pred = create_predictor(export_generator(
            net, os.path.join(workdir, 'tiled')))

        def fn(chw):
            return run_predictor(pred, chw[None])[0]
    else:
        def fn(chw):
            with paddle.no_grad():
                return net(paddle.to_tensor(chw[None])).numpy()[0]

    def to_uint8(chw):  # as SRPredictor stores tiles
        return np.clip(chw * 255, 0, 255).astype('uint8')

    t = time.perf_counter()
    tiled_apply(fn, img, 4, tile=tile, overlap=16, post=to_uint8)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': time.perf_counter() - t, 'rss_mb': rss}))


def child(args):
    cmd = [sys.executable, os.path.abspath(__file__), '--child'] + args
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith('{')]
    if out.returncode or not lines:
        return {'error': (out.stderr.strip().splitlines() or ['?'])[-1][:80]}
    return json.loads(lines[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--only', nargs='*', default=None)
    p.add_argument('--no-tiled', action='store_true')
    p.add_argument('--tiled-only', action='store_true')
    p.add_argument('--child', nargs='*', default=None)
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix='bench_inference_')
    if args.child is not None:
        if args.child[0] == 'tiled':
            h, w, tile = map(int, args.child[1:4])
            run_tiled((h, w), tile, args.child[4], workdir)
        else:
            run_one(args.child[0], args.child[1], args.child[2] == 'quick',
                    int(args.child[3]), workdir)
        return
    try:
        import onnxruntime  # noqa: F401
        backends = ['dynamic', 'onednn', 'plain', 'onnxruntime']
    except ImportError:
        backends = ['dynamic', 'onednn', 'plain']
    repeats = 1 if args.quick else args.repeats
    models = [] if args.tiled_only else args.only or MODELS
    if models:
        print(f'{"model":22s} {"backend":12s} {"input":18s} {"ms":>9s} '
              f'{"x dynamic":>9s} {"peak MB":>8s}')
    for model in models:
        base = None
        for backend in backends:
            r = child([model, backend, 'quick' if args.quick else 'full',
                       str(repeats)])
            if 'error' in r:
                print(f'{model:22s} {backend:12s} error: {r["error"]}')
                continue
            base = base or r['seconds']
            print(f'{model:22s} {backend:12s} {str(r["shape"]):18s} '
                  f'{r["seconds"] * 1e3:9.1f} {base / r["seconds"]:9.2f} '
                  f'{r["rss_mb"]:8.0f}', flush=True)
    if args.no_tiled:
        return
    print(f'\n{"tiled small RDN x4, tile 128":30s} {"engine":8s} {"s":>8s} '
          f'{"peak MB":>8s} {"buffers MB":>10s} {"peak-buffers":>12s}')
    sizes = [(128, 128), (256, 256)] if args.quick else \
        [(512, 512), (2048, 2048), (3000, 4000)]
    for (h, w), engine in itertools.product(sizes, ('dynamic', 'onednn')):
        r = child(['tiled', str(h), str(w), '128', engine])
        label = f'{w}x{h} LR input {engine:8s}'
        if 'error' in r:
            print(f'{label:39s} error: {r["error"]}')
        else:
            # input float32 CHW + output uint8 at x4: they grow with the
            # image by nature; the rest (network activations) should not
            buffers = (h * w * 3 * 4 + h * w * 16 * 3) / 2**20
            print(f'{label:39s} {r["seconds"]:8.1f} {r["rss_mb"]:8.0f} '
                  f'{buffers:10.0f} {r["rss_mb"] - buffers:12.0f}', flush=True)


if __name__ == '__main__':
    main()
