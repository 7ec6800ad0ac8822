"""PyTorch -> Paddle weight conversion: one mechanism, one key mapping per family.

A *mapping* turns a reference state_dict (``{torch_key: ndarray}``) into the
names the Paddle network uses. Mappings live in ``convert/mappings/<family>.py``
and register themselves for one or more generator/discriminator class names
with :func:`register_mapping`. :func:`convert_state_dict` then applies the
torch->Paddle layer conventions shared by every family (BatchNorm buffer names,
Linear weight transpose, spectral-norm tensors), and checks the result against
the target network key by key and shape by shape, failing before anything is
written.
"""
import collections

import numpy as np
import paddle

from ..errors import UserError
from ..io.checkpoint import check_state_fits

__all__ = ['ConversionError', 'register_mapping', 'register_config_adapter',
           'adapt_net_config', 'strip_data_parallel', 'get_mapping',
           'convert_state_dict']


class ConversionError(UserError, ValueError):
    """A reference checkpoint does not fit the network the config builds."""


_MAPPINGS = {}
_CONFIG_ADAPTERS = {}


def register_mapping(*net_class_names):
    """Decorator: ``fn(src_state, net) -> {paddle_key: ndarray}`` for classes.

    ``fn`` renames reference keys to the network's structured names, and may
    drop reference-only entries. Layout conventions (BN buffers, Linear
    transpose) are applied afterwards by :func:`convert_state_dict`.
    """

    def deco(fn):
        for name in net_class_names:
            if name in _MAPPINGS:
                raise ValueError(f'a key mapping for {name} already exists')
            _MAPPINGS[name] = fn
        return fn

    return deco


def register_config_adapter(*net_class_names):
    """Decorator: ``fn(net_cfg, src_state) -> net_cfg`` for a family whose
    architecture is only known from the checkpoint (e.g. how many PGAN
    scales were grown). The converter calls it before building the net."""

    def deco(fn):
        for name in net_class_names:
            _CONFIG_ADAPTERS[name] = fn
        return fn

    return deco


def adapt_net_config(net_cfg, src_state):
    """Apply the family's config adapter, if it has one."""
    from . import mappings  # noqa: F401
    adapter = _CONFIG_ADAPTERS.get(net_cfg.get('name'))
    return (adapter(dict(net_cfg), strip_data_parallel(src_state))
            if adapter else dict(net_cfg))


def strip_data_parallel(src_state):
    """Drop the ``module.`` prefixes ``nn.DataParallel`` adds to keys."""
    out = collections.OrderedDict()
    for key, value in src_state.items():
        while key.startswith('module.'):
            key = key[len('module.'):]
        if key in out:
            raise ConversionError(f"key '{key}' appears both with and "
                                  "without a 'module.' prefix")
        out[key] = value
    return out


def get_mapping(net):
    from . import mappings  # noqa: F401  (registers every family)
    name = type(net).__name__
    if name not in _MAPPINGS:
        raise ConversionError(
            f'no PyTorch key mapping for {name}; known: {sorted(_MAPPINGS)}')
    return _MAPPINGS[name]


_BN_RENAMES = {'running_mean': '_mean', 'running_var': '_variance'}


def _layer_kinds(net):
    """Map each sublayer prefix ('a.b.') to its class, for layout rules."""
    return {(name + '.' if name else ''): type(layer)
            for name, layer in net.named_sublayers(include_self=True)}


def apply_layout_conventions(state, net):
    """Rename BN buffers, drop ``num_batches_tracked``, transpose Linear."""
    kinds = _layer_kinds(net)
    out = collections.OrderedDict()
    for key, value in state.items():
        prefix, _, leaf = key.rpartition('.')
        prefix = prefix + '.' if prefix else ''
        kind = kinds.get(prefix)
        if leaf == 'num_batches_tracked':
            continue
        if kind is not None and issubclass(kind, paddle.nn.layer.norm._BatchNormBase):
            leaf = _BN_RENAMES.get(leaf, leaf)
        if (kind is not None and issubclass(kind, paddle.nn.Linear)
                and leaf in ('weight', 'weight_orig') and value.ndim == 2):
            value = value.T
        out[prefix + leaf] = np.ascontiguousarray(value)
    return out


def convert_state_dict(src_state, net):
    """Map a reference state_dict onto ``net`` and check it completely.

    Returns ``{paddle_key: float32/int ndarray}`` covering every entry of
    ``net.state_dict()`` with matching shapes; raises :class:`ConversionError`
    listing missing, unexpected and mis-shaped keys otherwise.
    """
    # DataParallel prefixes are dropped here, once, for every family
    mapped = get_mapping(net)(strip_data_parallel(src_state), net)
    mapped = apply_layout_conventions(mapped, net)
    check_state_fits(net, mapped, f'converted checkpoint for '
                     f'{type(net).__name__}', ConversionError)
    target_dtypes = {k: v.dtype for k, v in net.state_dict().items()}
    out = collections.OrderedDict()
    for k in target_dtypes:
        dtype = str(target_dtypes[k]).replace('paddle.', '')
        out[k] = mapped[k].astype(dtype if dtype != 'bfloat16' else 'float32')
    return out
