"""Progressive GAN step times per scale, sampling throughput and peak RSS.

Each configuration runs in a fresh subprocess (so ``ru_maxrss`` is its own
peak) with the full CelebA-128 networks (depths 512,512,512,512,256,128,
latent 512) grown to that scale, alpha 0.5 from 8x8 on (the fade-in path is
active, as during most of training). Per scale it times, after one warm-up
step (skipped at the scales listed in ``--no-warmup``, where a single step
already takes minutes on a CPU):

* ``D step``: PGANModel's discriminator update (D on real and fake,
  WGAN-GP penalty with its double backward, drift, Adam);
* ``D no-GP``: the same update without the penalty -- the baseline column:
  what the penalty costs;
* ``G step``: the generator update (G, D forward, backward into G, Adam,
  EMA update).

The first row, scale 4x4, is the baseline row for the others. A last row
gives EMA sampling throughput at the final resolution.

Usage: ``python benchmarks/bench_pgan.py [--batch 16] [--max-res 128]
[--sample-res 128] [--steps 2] [--device cpu]``
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPTHS = [512, 512, 512, 512, 256, 128]


def _child(args):
    sys.path.insert(0, ROOT)
    import paddle

    import ppgan_ext  # noqa: F401
    from ppgan.solver import build_lr_scheduler
    from ppgan_ext.models.pgan_model import PGANModel, gradient_penalty
    paddle.set_device(args.device)
    paddle.seed(0)
    scale = args.scale
    m = PGANModel(generator={'name': 'PGANGenerator', 'latent_dim': 512},
                  discriminator={'name': 'PGANDiscriminator'},
                  depth_scales=DEPTHS, max_iter_at_scale=[1] * len(DEPTHS))
    adam = {'name': 'Adam', 'beta1': 0.0, 'beta2': 0.99}
    m.setup_optimizers(
        build_lr_scheduler({'name': 'MultiStepDecay', 'learning_rate': 1e-3,
                            'milestones': [10**9], 'gamma': 0.5}),
        {'optimG': dict(adam, net_names=['generator']),
         'optimD': dict(adam, net_names=['discriminator'])})
    m.grow_to(scale)
    m.set_alpha(0.5 if scale > 0 else 0.0)
    res = 4 * 2**scale
    n = args.batch
    g, d = m.generator, m.discriminator
    opt_g, opt_d = m.optimizers['optimG'], m.optimizers['optimD']
    real = paddle.rand([n, 3, res, res]) * 2 - 1
    params = sum(int(p.size) for p in g.parameters()), sum(
        int(p.size) for p in d.parameters())

    def d_step(gp=True):
        opt_d.clear_grad(set_to_zero=False)
        with paddle.no_grad():
            fake = g(paddle.randn([n, 512]))
        loss = -d(real)[:, 0].sum() + d(fake)[:, 0].sum()
        if gp:
            loss = loss + gradient_penalty(d, real, fake, 10.0,
                                           paddle.rand([n, 1, 1, 1]))
        loss.backward()
        opt_d.step()
        float(loss)

    def g_step():
        m.current_iter = 1
        opt_g.clear_grad(set_to_zero=False)
        for p in d.parameters():
            p.stop_gradient = True
        loss = -d(g(paddle.randn([n, 512])))[:, 0].sum()
        loss.backward()
        for p in d.parameters():
            p.stop_gradient = False
        opt_g.step()
        from ppgan_ext.models.ema import update_ema
        update_ema(m.generator_ema, g, 0.999)
        float(loss)

    def sample():
        with paddle.no_grad():
            float(m.generator_ema(paddle.randn([n, 512])).mean())

    def timed(fn):
        if not args.no_warmup:
            fn()
        start = time.perf_counter()
        for _ in range(args.steps):
            fn()
        return (time.perf_counter() - start) / args.steps

    out = {'res': res, 'params_g': params[0], 'params_d': params[1]}
    if args.what == 'sample':
        out['sample_s'] = timed(sample)
    else:
        out['d_s'] = timed(d_step)
        out['d_nogp_s'] = timed(lambda: d_step(gp=False))
        out['g_s'] = timed(g_step)
    out['rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('RESULT ' + json.dumps(out))


def _run(args, scale, what, no_warmup):
    cmd = [sys.executable, os.path.abspath(__file__), '--child',
           '--scale', str(scale), '--what', what, '--batch', str(args.batch),
           '--steps', str(args.steps), '--device', args.device]
    if no_warmup:
        cmd.append('--no-warmup')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith('RESULT '):
            return json.loads(line[len('RESULT '):])
    raise RuntimeError(f'configuration {scale}/{what} failed:\n'
                       f'{proc.stderr[-3000:]}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--max-res', type=int, default=128)
    p.add_argument('--steps', type=int, default=2,
                   help='timed steps per configuration')
    p.add_argument('--no-warmup-from', type=int, default=64,
                   help='no warm-up step from this resolution on')
    p.add_argument('--sample-res', type=int, default=None,
                   help='resolution of the sampling row (default: max-res)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--scale', type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument('--what', default='train', help=argparse.SUPPRESS)
    p.add_argument('--no-warmup', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child(args)

    sides = [4 * 2**s for s in range(len(DEPTHS))]
    max_scale = sides.index(args.max_res)
    sample_scale = sides.index(args.sample_res or args.max_res)
    print(f'PGAN (CelebA-128 networks), batch {args.batch}, {args.steps} '
          f'timed step(s), device {args.device}')
    head = (f"{'scale':>12} {'G params':>10} {'D params':>10} "
            f"{'D step s':>9} {'D no-GP s':>10} {'G step s':>9} "
            f"{'img/s (D+G)':>11} {'peak RSS MB':>11}")
    print(head)
    print('-' * len(head))
    for s in range(max_scale + 1):
        res = 4 * 2**s
        r = _run(args, s, 'train', res >= args.no_warmup_from)
        label = f'{res}x{res}' + (' (base)' if s == 0 else '')
        ips = args.batch / (r['d_s'] + r['g_s'])
        print(f"{label:>12} {r['params_g']:>10,} {r['params_d']:>10,} "
              f"{r['d_s']:>9.3f} {r['d_nogp_s']:>10.3f} {r['g_s']:>9.3f} "
              f"{ips:>11.1f} {r['rss_mb']:>11.0f}", flush=True)
    r = _run(args, sample_scale, 'sample', False)
    print(f"sampling {r['res']}x{r['res']} (EMA G, no grad): "
          f"{args.batch / r['sample_s']:.1f} images/s "
          f"({r['sample_s']:.3f} s per batch of {args.batch}), peak RSS "
          f"{r['rss_mb']:.0f} MB")


if __name__ == '__main__':
    main()
