"""CPU inference per generator and shape: dynamic graph, Paddle Inference
oneDNN fp32 and bf16, ONNX Runtime (when installed), with bicubic
interpolation as the baseline row; and a plain-conv calibration (20 3x3
convs, 64 channels, 8x48x48) against PyTorch eager when torch is importable.

    python benchmarks/bench_cpu_inference.py                 # everything
    python benchmarks/bench_cpu_inference.py --only sparnet rdn_seed_x4
    python benchmarks/bench_cpu_inference.py --quick         # smoke run

Per model one process builds the generator (random weights: speed does not
depend on them), exports it (fp32 and bf16 forms), and times every backend
*interleaved* (A, B, C, A, B, C, ...; median of --reps after a warm-up), so
the ratios come from the same machine state; the dynamic graph, 7-13x
slower, gets --dynamic-reps. Peak RSS is then measured per backend in a
fresh process that loads only what that backend needs (the export, or the
network for the dynamic graph) and runs it once. "max |d|" is the largest
difference to the dynamic graph's output. --threads sets Paddle's (and
torch's) CPU threads (default 2).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SPARNET = {'name': 'SPARNet'}
# name: (generator kwargs, ('image', side) or ('latent', dim), batches,
#        bicubic (LR side, HR side) or None)
MODELS = {
    'sparnet': (SPARNET, ('image', 128), (8, 1), (16, 128)),
    'sparnet_light_attn3d': (dict(SPARNET, res_depth=1, att_name='spar3d'),
                             ('image', 128), (8, 1), (16, 128)),
    'sparnethd_attn2d': ({'name': 'SPARNet', 'min_ch': 32, 'max_ch': 512,
                          'in_size': 512, 'out_size': 512,
                          'min_feat_size': 32, 'norm_type': 'in',
                          'spectral_norm': True}, ('image', 512), (1,),
                         (64, 512)),
    'rdn_paper_x4': ({'name': 'RDN', 'scale': 4}, ('image', 48), (8, 1),
                     (48, 192)),
    'rdn_seed_x4': ({'name': 'RDN', 'scale': 4, 'num_blocks': 3,
                     'num_layers': 3, 'upsampler': 'seed'}, ('image', 48),
                    (8, 1), (48, 192)),
    'pgan_128': ({'name': 'PGANGenerator', 'latent_dim': 512,
                  'depths': [512, 512, 512, 512, 256, 128]},
                 ('latent', 512), (8, 1), None),
    'esrgan_x4': ({'name': 'RRDBNet', 'in_nc': 3, 'out_nc': 3, 'nf': 64,
                   'nb': 23}, ('image', 48), (8, 1), (48, 192)),
}
QUICK = {'image': 32}
BACKENDS = ('bicubic', 'dynamic', 'onednn_fp32', 'onednn_bf16',
            'onnxruntime')


def settle():
    """Let the previous backend's OpenMP threads go to sleep (Paddle's
    Intel OpenMP spins 200 ms after each parallel region, on the cores the
    next backend is timed on)."""
    time.sleep(0.3)


def peak_mb():
    """This process's peak RSS: VmHWM (ru_maxrss would carry the parent's
    peak over the fork + exec that started it)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample(spec, batch, quick):
    import numpy as np
    rng = np.random.RandomState(0)
    if spec[0] == 'latent':
        return rng.randn(batch, spec[1]).astype('float32')
    side = QUICK['image'] if quick else spec[1]
    return rng.uniform(-1, 1, (batch, 3, side, side)).astype('float32')


def bicubic_fn(lr_hr, x, quick):
    """Resize each image of the batch as an SR baseline would (SPARNet's
    faces: its 16 -> 128 input up-sampling)."""
    import cv2
    import numpy as np
    lr, hr = lr_hr
    if quick:
        lr, hr = max(2, lr * QUICK['image'] // max(lr, 48)), QUICK['image']
    imgs = [np.ascontiguousarray(a.transpose(1, 2, 0)[:lr, :lr]) for a in x]

    def run():
        return [cv2.resize(i, (hr, hr), interpolation=cv2.INTER_CUBIC)
                for i in imgs]
    return run


def make_runner(backend, model, prefixes, x, quick, net=None):
    """A no-argument function running ``backend`` on ``x`` (numpy out)."""
    import numpy as np
    if backend == 'bicubic':
        return bicubic_fn(MODELS[model][3], x, quick)
    if backend == 'dynamic':
        import paddle
        xt = paddle.to_tensor(x)

        def run():
            with paddle.no_grad():
                return net(xt).numpy()
        return run
    if backend == 'onnxruntime':
        import onnxruntime
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = int(os.environ['BENCH_THREADS'])
        sess = onnxruntime.InferenceSession(
            prefixes['fp32'] + '.onnx', opts,
            providers=['CPUExecutionProvider'])
        feed = {sess.get_inputs()[0].name: x}
        return lambda: sess.run(None, feed)[0]
    from ppgan_ext.deploy.export import create_predictor, run_predictor
    precision = backend.rsplit('_', 1)[1]
    pred = create_predictor(prefixes[precision],
                            threads=int(os.environ['BENCH_THREADS']),
                            precision=precision)
    return lambda: np.asarray(run_predictor(pred, x))


def build(model):
    import paddle
    import ppgan_ext  # noqa: F401
    from ppgan.models.generators.builder import build_generator
    paddle.seed(0)
    net = build_generator(dict(MODELS[model][0]))
    net.eval()
    return net


def export_all(model, net, workdir, backends, x):
    from ppgan_ext.deploy.export import export_generator
    prefixes = {}
    for precision in ('fp32', 'bf16'):
        if f'onednn_{precision}' in backends or (
                precision == 'fp32' and 'onnxruntime' in backends):
            prefixes[precision] = export_generator(
                net, os.path.join(workdir, model, precision, 'g'), precision)
    if 'onnxruntime' in backends:
        from ppgan_ext.deploy.onnx_export import export_onnx
        export_onnx(prefixes['fp32'], x, log=lambda *_: None)
    return prefixes


def child_time(model, backends, reps, dynamic_reps, quick, workdir):
    """Times every backend of ``model`` interleaved; one JSON line."""
    import numpy as np
    _, spec, batches, lr_hr = MODELS[model]
    if lr_hr is None:
        backends = [b for b in backends if b != 'bicubic']
    net = build(model)
    prefixes = export_all(model, net, workdir, backends,
                          sample(spec, 1, quick))
    rows = []
    for batch in batches[:1] if quick else batches:
        x = sample(spec, batch, quick)
        runs = {b: make_runner(b, model, prefixes, x, quick, net)
                for b in backends}
        outs = {b: fn() for b, fn in runs.items()}  # warm-up
        ref = outs.get('dynamic')
        times = {b: [] for b in runs}
        for i in range(max(reps, dynamic_reps)):
            for b, fn in runs.items():
                if b == 'dynamic' and i >= dynamic_reps:
                    continue
                settle()
                t = time.perf_counter()
                fn()
                times[b].append(time.perf_counter() - t)
        diff = {b: (float(np.abs(np.asarray(o) - ref).max())
                    if ref is not None and b != 'bicubic' else None)
                for b, o in outs.items()}
        rows.append({'batch': batch, 'shape': list(x.shape),
                     'seconds': {b: statistics.median(v)
                                 for b, v in times.items()},
                     'diff': diff, 'load': os.getloadavg()[0]})
    print(json.dumps({'rows': rows, 'prefixes': prefixes}))


def child_memory(model, backend, batch, quick, prefixes):
    """One run of one backend in a fresh process: peak RSS (MB)."""
    spec, lr_hr = MODELS[model][1], MODELS[model][3]
    x = sample(spec, batch, quick)
    net = build(model) if backend == 'dynamic' else None
    make_runner(backend, model, prefixes, x, quick, net)()
    print(json.dumps({'rss_mb': peak_mb()}))


def child_calibration(reps):
    """20 plain 3x3 convs, 64 channels, 8x48x48: PyTorch eager (when
    importable), Paddle Inference oneDNN fp32 / bf16, interleaved."""
    import numpy as np
    import paddle
    import paddle.nn as nn
    from ppgan_ext.deploy.export import (create_predictor, export_generator,
                                         run_predictor)
    threads = int(os.environ['BENCH_THREADS'])
    paddle.seed(0)
    net = nn.Sequential(*[nn.Conv2D(64, 64, 3, padding=1)
                          for _ in range(20)])
    net.eval()
    x = np.random.RandomState(0).rand(8, 64, 48, 48).astype('float32')
    runs = {}
    try:
        import torch
        torch.set_num_threads(threads)
        stack = torch.nn.Sequential(*[torch.nn.Conv2d(64, 64, 3, padding=1)
                                      for _ in range(20)]).eval()
        xt = torch.from_numpy(x)

        def torch_eager():
            with torch.no_grad():
                return stack(xt)
        runs['pytorch_eager_fp32'] = torch_eager
    except ImportError:
        pass
    work = tempfile.mkdtemp(prefix='bench_calibration_')
    for precision in ('fp32', 'bf16'):
        pred = create_predictor(
            export_generator(net, os.path.join(work, precision, 'g'),
                             precision),
            threads=threads, precision=precision)
        runs[f'onednn_{precision}'] = (
            lambda p=pred: run_predictor(p, x))
    for fn in runs.values():
        fn()
    times = {k: [] for k in runs}
    for _ in range(reps):
        for k, fn in runs.items():
            settle()
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    print(json.dumps({k: statistics.median(v) for k, v in times.items()}))


def child(args, threads):
    # OMP_NUM_THREADS: the dynamic graph's (and ONNX Runtime's) CPU threads
    env = dict(os.environ, BENCH_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.abspath(__file__), '--child'] + args
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                         env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith('{')]
    if out.returncode or not lines:
        return {'error': (out.stderr.strip().splitlines() or ['?'])[-1][:90]}
    return json.loads(lines[-1])


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--only', nargs='*', default=None, choices=list(MODELS))
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--dynamic-reps', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--quick', action='store_true',
                   help='32x32 images, first batch only, 1 repeat')
    p.add_argument('--no-memory', action='store_true')
    p.add_argument('--no-calibration', action='store_true')
    p.add_argument('--child', nargs='*', default=None)
    args = p.parse_args()
    if args.child is not None:
        kind, rest = args.child[0], args.child[1:]
        if kind == 'time':
            child_time(rest[0], rest[1].split(','), int(rest[2]),
                       int(rest[3]), rest[4] == 'quick', rest[5])
        elif kind == 'memory':
            child_memory(rest[0], rest[1], int(rest[2]), rest[3] == 'quick',
                         json.loads(rest[4]))
        else:
            child_calibration(int(rest[0]))
        return
    try:
        import onnxruntime  # noqa: F401
        import paddle2onnx  # noqa: F401
        backends = list(BACKENDS)
    except ImportError:
        backends = list(BACKENDS[:-1])
    reps = 1 if args.quick else args.reps
    quick = 'quick' if args.quick else 'full'
    workdir = tempfile.mkdtemp(prefix='bench_cpu_inference_')
    print(f'load average at start: {os.getloadavg()[0]:.2f}; threads '
          f'{args.threads}; median of {reps} interleaved runs '
          f'(dynamic graph: {args.dynamic_reps})\n')
    print(f'{"model":22s} {"batch":>5s} {"backend":12s} {"ms":>9s} '
          f'{"x bicubic":>9s} {"x dynamic":>9s} {"max |d|":>8s} '
          f'{"peak MB":>8s}')
    for model in args.only or MODELS:
        r = child(['time', model, ','.join(backends), str(reps),
                   str(args.dynamic_reps), quick, workdir], args.threads)
        if 'error' in r:
            print(f'{model:22s} error: {r["error"]}')
            continue
        for row in r['rows']:
            sec = row['seconds']
            for b in [b for b in BACKENDS if b in sec]:
                mem = '' if args.no_memory else child(
                    ['memory', model, b, str(row['batch']), quick,
                     json.dumps(r['prefixes'])], args.threads)
                mem = (f'{mem["rss_mb"]:8.0f}' if isinstance(mem, dict)
                       and 'rss_mb' in mem else f'{"-":>8s}')
                ratio = (lambda base: f'{sec[b] / sec[base]:9.2f}'
                         if base in sec else f'{"-":>9s}')
                d = row['diff'].get(b)
                print(f'{model:22s} {row["batch"]:5d} {b:12s} '
                      f'{sec[b] * 1e3:9.1f} {ratio("bicubic")} '
                      f'{ratio("dynamic")} '
                      f'{"-" if d is None else f"{d:.1e}":>8s} {mem}',
                      flush=True)
    if not args.no_calibration:
        r = child(['calibration', str(max(reps, 3))], args.threads)
        print('\nplain-conv calibration (20 3x3 convs, 64 ch, 8x48x48)')
        if 'error' in r:
            print(f'error: {r["error"]}')
        else:
            base = r.get('pytorch_eager_fp32')
            for k, v in r.items():
                rel = f'{v / base:.2f}x PyTorch eager' if base else ''
                print(f'  {k:20s} {v * 1e3:8.1f} ms  {rel}')
    print(f'\nload average at end: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
