"""Shared helpers for the training-step parity tests (``tests/fixtures/train_parity``).

A case is a 3-iteration run of a reference model's own training code (see
``tests/fixtures/train_parity/README.md``): initial and recorded states per
net (``CASE.<net>.{init,step1,step3}.pth``), masks of the elements compared
tightly (``CASE.<net>.checked.npz``), the batch, the PGAN random draws, the
loss terms and the tolerances (``CASE.json``). The tests build the model from
the project's config, load the initial states through the project's
converter, train 3 iterations and compare with :func:`check_losses` and
:func:`check_state`, which also record the measured errors in
:data:`RESULTS` (printed as a table by ``pytest --train-parity-table``, see
``tests/conftest.py``).
"""
import collections
import json
import os

import numpy as np
import paddle

import ppgan_ext  # noqa: F401  (registers the plugin, Paddle-3 shims)
from ppgan.models.builder import build_model
from ppgan_ext.config import load_config
from ppgan_ext.convert import convert_state_dict
from ppgan_ext.io.torch_reader import load_torch_state_dict

TRAIN_PARITY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'fixtures', 'train_parity')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# case -> {'losses': {term: (rel. error, rtol) of its worst iteration},
#          'states': {(net, step): {kind: (max abs diff, tolerance)}}}
RESULTS = collections.OrderedDict()


class Case:
    """One recorded case: its JSON, batch, draws and per-net files."""

    def __init__(self, name):
        self.name = name
        with open(self.path('.json'), encoding='utf-8') as f:
            self.json = json.load(f)
        self.batch = dict(np.load(self.path('.batch.npz')))
        draws = self.path('.draws.npz')
        self.draws = dict(np.load(draws)) if os.path.exists(draws) else {}
        self.tolerance = self.json['tolerance']

    def path(self, suffix):
        return os.path.join(TRAIN_PARITY_DIR, self.name + suffix)

    def state(self, net, stage):
        """Reference state_dict of ``net`` ('G', 'D', ...) at ``stage``
        ('init', 'step1', 'step3')."""
        return load_torch_state_dict(self.path(f'.{net}.{stage}.pth'))

    def masks(self, net):
        return dict(np.load(self.path(f'.{net}.checked.npz')))

    def param_flags(self, net):
        """``{reference key: bool array}``, True where the entry is a
        parameter (stepped by the optimizer), False for buffers."""
        kinds = self.json['nets'][net]['state_dict']
        shapes = {k: v.shape for k, v in self.masks(net).items()}
        return {k: np.full(shapes[k], kind.split()[0] == 'param')
                for k, kind in kinds.items()}

    @property
    def losses(self):
        return self.json['losses']


def config_model(config, overrides=()):
    """``(cfg, model)`` built from ``configs/<config>`` with overrides, as
    ppgan's Trainer builds it; then its schedulers and optimizers, exactly
    as the Trainer sets them up."""
    cfg = load_config(os.path.join(ROOT, 'configs', config), list(overrides))
    model = build_model(cfg.model)
    if 'iters_per_epoch' in cfg.lr_scheduler:
        cfg.lr_scheduler.iters_per_epoch = 1
    lr = model.setup_lr_schedulers(cfg.lr_scheduler)
    model.setup_optimizers(lr, cfg.optimizer)
    return cfg, model


def port_state(ref_state, net):
    """A reference state_dict converted to ``net``'s keys and layout."""
    return convert_state_dict(ref_state, net)


def port_masks(ref_masks, net):
    """The case's masks, mapped onto ``net``'s keys through the converter
    (filled in as 1/0 floats so every layout rule applies to them too)."""
    filled = collections.OrderedDict(
        (k, m.astype('float32')) for k, m in ref_masks.items())
    return {k: v > 0.5 for k, v in convert_state_dict(filled, net).items()}


def load_reference(net, ref_state):
    """Load a reference state_dict into ``net`` through the converter."""
    net.set_state_dict({k: paddle.to_tensor(v) for k, v in
                        port_state(ref_state, net).items()})


def _record(case, record):
    if not record:
        return {'losses': {}, 'states': {}}
    return RESULTS.setdefault(case.name, {'losses': {}, 'states': {}})


def check_losses(case, step, port, record=True, strict=True):
    """Compare the port's loss terms of iteration ``step`` (1-based),
    ``{reference term: value}``, with the case's; record (in
    :data:`RESULTS`) and return the relative errors; assert the case's
    ``loss_rtol`` (unless not ``strict``)."""
    ref = case.losses[step - 1]
    assert set(port) == set(ref), (sorted(port), sorted(ref))
    record = _record(case, record)
    errors = {}
    for term, want in ref.items():
        err = abs(float(port[term]) - want) / max(abs(want), 1e-12)
        rtol = case.tolerance['loss_rtol'][f'step{step}.{term}']
        errors[term] = (err, rtol)
        old = record['losses'].get(term)
        if old is None or err / rtol > old[0] / old[1]:
            record['losses'][term] = (err, rtol)
    bad = {t: e for t, e in errors.items() if e[0] > e[1]}
    assert not (bad and strict), (f'{case.name} iteration {step}: loss terms off '
                     '(rel. error, rtol): ' + ', '.join(
                         f'{t}: {e[0]:.3g} > {e[1]:.3g} (port '
                         f'{float(port[t]):.7g}, ref {ref[t]:.7g})'
                         for t, e in bad.items()))
    return errors


def check_state(case, ref_net, step, net, record=True, strict=True):
    """Compare ``net`` after iteration ``step`` (1 or 3) with the case's
    ``<ref_net>.step<step>.pth`` by the README's pass criterion; record and
    return ``{kind: (max abs diff, tolerance, elements over it)}`` for the
    kinds 'checked', 'unchecked' (parameters) and 'buffer'; assert (unless
    not ``strict``)."""
    tol = case.tolerance['weights'][f'{ref_net}.step{step}']
    want = port_state(case.state(ref_net, f'step{step}'), net)
    masks = port_masks(case.masks(ref_net), net)
    # by the reference's kinds: Paddle keeps BatchNorm statistics as
    # (non-trainable) parameters
    params = {k for k, v in port_masks(case.param_flags(ref_net),
                                       net).items() if v.all()}
    have = {k: v.numpy() for k, v in net.state_dict().items()}
    limits = {'checked': tol['param_atol'],
              'unchecked': tol['noise_level_atol'],
              'buffer': tol['buffer_atol']}
    # max None: the net has no such elements
    out = {kind: [None, limit, 0] for kind, limit in limits.items()}
    worst = {}
    for key, ref in want.items():
        if not np.issubdtype(ref.dtype, np.floating):
            continue  # integer buffers are not compared
        diff = np.abs(have[key].astype(np.float64) - ref.astype(np.float64))
        parts = ({'checked': diff[masks[key]], 'unchecked': diff[~masks[key]]}
                 if key in params else {'buffer': diff})
        for kind, d in parts.items():
            if not d.size:
                continue
            entry = out[kind]
            entry[2] += int((d > entry[1]).sum())
            if entry[0] is None or d.max() > entry[0]:
                entry[0] = float(d.max())
                worst[kind] = key
    out = {kind: tuple(entry) for kind, entry in out.items()}
    _record(case, record)['states'][(ref_net, step)] = out
    bad = [f'{kind} {m:.3g} > {lim:.3g} in {n} element(s) (worst: '
           f'{worst[kind]})' for kind, (m, lim, n) in out.items() if n]
    assert not (bad and strict), (
        f'{case.name}: {ref_net} after iteration {step} differs: ' +
        '; '.join(bad))
    return out


def step_schedulers(model):
    """Step the learning-rate schedulers after an iteration, as ppgan's
    ``Trainer.learning_rate_scheduler_step``."""
    schedulers = model.lr_scheduler
    for scheduler in (schedulers.values() if isinstance(schedulers, dict)
                      else [schedulers]):
        scheduler.step()


def train_and_check(case, model, nets, batch, loss_terms, before=None,
                    first_iter=1, record=True, strict=True):
    """Run the case's iterations and check it.

    ``nets``: ``{model net name: reference net name}`` (each loaded from its
    own init file); ``batch``: what ``setup_input`` gets; ``loss_terms``:
    ``{reference term: key in model.losses}``; ``before(step)`` runs before
    each iteration (e.g. PGAN's draws); ``first_iter``: the Trainer's
    iteration number of the case's first iteration; ``record``: keep the
    measured errors in :data:`RESULTS`; ``strict``: fail at the first
    comparison out of tolerance (else only record).
    """
    for port, ref in nets.items():
        load_reference(model.nets[port], case.state(ref, 'init'))
    for step in range(1, case.json['steps'] + 1):
        if before is not None:
            before(step)
        model.setup_input(batch)  # as ExtTrainer._train_step
        model.set_current_iter(first_iter + step - 1)
        model.train_iter(model.optimizers)
        step_schedulers(model)
        check_losses(case, step, {term: float(model.losses[key])
                                  for term, key in loss_terms.items()},
                     record, strict)
        if step in case.json['recorded_steps']:
            for port, ref in nets.items():
                check_state(case, ref, step, model.nets[port], record,
                            strict)


def format_table():
    """Markdown tables of everything recorded in :data:`RESULTS`."""
    out = []
    for case, rec in RESULTS.items():
        out += [f'{case}:', '',
                '| loss term | max rel. error | loss_rtol |',
                '| --- | --- | --- |']
        out += [f'| {t} | {e:.1e} | {r:.1e}{" (over)" if e > r else ""} |'
                for t, (e, r) in rec['losses'].items()]
        out += ['', '| net | after | checked params | noise-level params '
                '| buffers |', '| --- | --- | --- | --- | --- |']
        for (net, step), parts in sorted(rec['states'].items()):
            cells = ' | '.join(
                '-' if v is None else f'{v:.1e} <= {lim:.1e}' if not n else
                f'{v:.1e} > {lim:.1e} ({n} element{"s" if n > 1 else ""})'
                for v, lim, n in parts.values())
            out.append(f'| {net} | step {step} | {cells} |')
        out.append('')
    return '\n'.join(out)


def vgg19_recipe_state(recipe):
    """The SPARNetHD cases' VGG19 ``features`` weights, regenerated from the
    case's ``vgg19_recipe`` (numpy legacy streams) and checked against its
    sha256."""
    import hashlib
    state = collections.OrderedDict()
    digest = hashlib.sha256()
    base = recipe['base']
    for i, (idx, (cin, cout)) in enumerate(zip(
            recipe['conv_features_index'], recipe['conv_in_out_channels'])):
        weight = (np.random.RandomState(base + i).standard_normal(
            (cout, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))).astype(np.float32)
        bias = np.random.RandomState(base + 1000 + i).uniform(
            -0.05, 0.05, size=cout).astype(np.float32)
        for leaf, value in (('weight', weight), ('bias', bias)):
            state[f'features.{idx}.{leaf}'] = value
            digest.update(value.astype('<f4').tobytes(order='C'))
    assert digest.hexdigest() == recipe['sha256'], 'VGG19 recipe mismatch'
    return state
