"""Export a generator with ``paddle.jit.save`` and check it under Paddle Inference.

The exported graph takes a dynamic batch (and, for image-to-image
generators, dynamic height and width). :func:`export_error` loads the export
with ``paddle.inference`` -- on CPU with oneDNN by default, the fast path --
and compares it with the dynamic-graph output on a sample.

An export is made for a precision (``'fp32'`` or ``'bf16'``, see
:mod:`.precision`): a bf16 export replaces the activations Paddle's bf16
kernels get wrong (``export_forms``) and runs in fp32 too; an fp32 export is
refused in bf16. ``<prefix>.export.json`` records the precision and the
generator's class name (for ``precision='auto'``), and what a deployment
needs to feed it: input kind, pixel range, channels, face size.
"""
import copy
import json
import os

import numpy as np
import paddle
from paddle import inference

from ..models.base import unwrap
from .export_forms import to_export_form
from .precision import PrecisionError, resolve_precision

__all__ = ['input_spec_for', 'export_generator', 'export_info',
           'create_predictor', 'run_predictor', 'export_error',
           'sample_input']


def _in_channels(net):
    for layer in net.sublayers(include_self=True):
        weight = getattr(layer, 'weight_orig', None)
        if weight is None and isinstance(layer, paddle.nn.Conv2D):
            weight = layer.weight
        if weight is not None and len(weight.shape) == 4:
            return int(weight.shape[1])
    raise ValueError(f'{type(net).__name__}: cannot tell its input channels')


def input_spec_for(net):
    """Dynamic InputSpec: ``[None, latent]`` for latent generators (they
    have ``latent_dim``), else ``[None, C, None, None]`` images."""
    net = unwrap(net)
    if hasattr(net, 'latent_dim'):
        return [paddle.static.InputSpec([None, net.latent_dim], 'float32',
                                        name='z')]
    return [paddle.static.InputSpec([None, _in_channels(net), None, None],
                                    'float32', name='image')]


def sample_input(net, batch=1, size=32, seed=0, value_range=(-1., 1.)):
    """A deterministic sample matching :func:`input_spec_for` (images in
    the model's ``value_range``)."""
    rng = np.random.RandomState(seed)
    net = unwrap(net)
    if hasattr(net, 'latent_dim'):
        return rng.randn(batch, net.latent_dim).astype('float32')
    return rng.uniform(*value_range, (batch, _in_channels(net), size,
                                      size)).astype('float32')


def _describe(net, precision, value_range):
    """What a deployment needs besides the graph: the generator, precision,
    input kind, pixel range (when known), channels and fixed face size."""
    info = {'generator': type(net).__name__, 'precision': precision}
    if value_range is not None:
        info['value_range'] = [float(v) for v in value_range]
    if hasattr(net, 'latent_dim'):
        info.update(input='latent', latent_dim=int(net.latent_dim))
    else:
        info.update(input='image', channels=_in_channels(net))
        if getattr(net, 'in_size', None):
            info['in_size'] = int(net.in_size)
    return info


def _exportable_copy(net, precision='fp32'):
    """An eval-mode copy of ``net`` in its export form (see
    :mod:`.export_forms`: same function, faster under Paddle Inference)."""
    net = copy.deepcopy(unwrap(net))
    net.eval()  # the forms read eval-mode statistics (BN, spectral norm)
    net = to_export_form(net, precision)
    net.eval()  # layers the forms built
    return net


def export_generator(net, path_prefix, precision='fp32', value_range=None):
    """``paddle.jit.save`` ``net`` (in eval mode) to ``path_prefix``.*, in
    the export form for ``precision`` (``'fp32'`` or ``'bf16'``), with
    ``<prefix>.export.json`` describing it (see :func:`export_info`)."""
    info = _describe(unwrap(net), precision, value_range)
    net = _exportable_copy(net, precision)
    static = paddle.jit.to_static(net, input_spec=input_spec_for(net),
                                  full_graph=True)
    os.makedirs(os.path.dirname(os.path.abspath(path_prefix)), exist_ok=True)
    paddle.jit.save(static, path_prefix)
    with open(path_prefix + '.export.json', 'w') as f:
        json.dump(info, f, indent=1)
    return path_prefix


def export_info(path_prefix):
    """What :func:`export_generator` recorded about an export (``{}`` for
    exports made elsewhere)."""
    try:
        with open(path_prefix + '.export.json') as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _model_file(path_prefix):
    for ext in ('.json', '.pdmodel'):
        if os.path.isfile(path_prefix + ext):
            return path_prefix + ext
    raise FileNotFoundError(f'{path_prefix}: no exported model (.json or '
                            '.pdmodel) found')


def create_predictor(path_prefix, mkldnn=True, threads=None,
                     precision='fp32', log=print):
    """A Paddle Inference predictor for an export (CPU; oneDNN on/off).

    ``precision``: ``'fp32'``, ``'bf16'`` (oneDNN's bfloat16 kernels; needs
    ``mkldnn`` and a bf16 export) or ``'auto'`` (bf16 where the CPU has
    native bf16 and the generator is on the allow list, see
    :func:`.precision.resolve_precision`; ``log`` gets its one-line choice).
    """
    info = export_info(path_prefix)
    if precision == 'auto' and (not mkldnn or
                                info.get('precision') == 'fp32'):
        log('precision auto: fp32 (' + ('an fp32 export)' if mkldnn else
                                        'plain kernels, no oneDNN)'))
        precision = 'fp32'
    precision = resolve_precision(precision, info.get('generator'), log)
    if precision == 'bf16':
        if not mkldnn:
            raise PrecisionError('precision bf16 runs on oneDNN only '
                                 '(mkldnn=False asked for plain kernels)')
        if info.get('precision', 'bf16') != 'bf16':
            raise PrecisionError(f'{path_prefix}: an fp32 export; export it '
                                 "with precision='bf16' to run it in bf16")
    config = inference.Config(_model_file(path_prefix),
                              path_prefix + '.pdiparams')
    config.disable_gpu()
    if mkldnn:
        config.enable_mkldnn()
        if precision == 'bf16':
            config.enable_mkldnn_bfloat16()
    else:
        config.disable_mkldnn()
    config.set_cpu_math_library_num_threads(threads or os.cpu_count() or 1)
    config.disable_glog_info()
    return inference.create_predictor(config)


def run_predictor(predictor, x):
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(list(x.shape))
    handle.copy_from_cpu(np.ascontiguousarray(x, dtype='float32'))
    predictor.run()
    out = predictor.get_output_handle(predictor.get_output_names()[0])
    return out.copy_to_cpu()


def export_error(net, path_prefix, samples, mkldnn=True):
    """``(max abs difference, max abs output)`` between the export (Paddle
    Inference) and ``net`` over one sample array or a list of them."""
    net = unwrap(net)
    net.eval()
    predictor = create_predictor(path_prefix, mkldnn)
    worst = scale = 0.0
    for sample in samples if isinstance(samples, list) else [samples]:
        with paddle.no_grad():
            want = net(paddle.to_tensor(sample))
        if isinstance(want, (tuple, list)):
            want = want[0]
        want = want.numpy()
        got = run_predictor(predictor, sample)
        worst = max(worst, float(np.max(np.abs(got - want))))
        scale = max(scale, float(np.max(np.abs(want))))
    return worst, scale
