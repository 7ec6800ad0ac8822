"""Key mapping for pytorch_GAN_zoo's progressive GAN (``GNet`` / ``DNet``).

Reference equalized layers wrap a torch ``Conv2d``/``Linear`` as ``.module``;
the Paddle layers *are* the conv/linear, so ``<name>.module.weight`` becomes
``<name>.weight`` (the Linear transpose is applied afterwards by the shared
layout rules, the equalized linears being ``paddle.nn.Linear`` subclasses).
A leading ``module.`` left by ``nn.DataParallel`` is dropped by
``convert_state_dict`` before the mapping runs.
"""
import collections
import re

from ...modules.progressive import with_depths
from .. import (ConversionError, register_config_adapter, register_mapping,
                strip_data_parallel)

__all__ = ['map_pgan', 'pgan_depths_from_state', 'pgan_kwargs_from_state',
           'adapt_pgan_config']

# reference group name -> Paddle name (prefix before the layer index part)
_G_GROUPS = {
    'formatLayer': 'format_layer',
    'groupScale0.0': 'scale0_conv',
    'toRGBLayers': 'to_rgb',
    'scaleLayers': 'scale_layers',
}
_D_GROUPS = {
    'fromRGBLayers': 'from_rgb',
    'scaleLayers': 'scale_layers',
    'groupScaleZero.0': 'scale0_conv',
    'groupScaleZero.1': 'scale0_linear',
    'decisionLayer': 'decision_layer',
}


def _split(key, groups):
    """``'scaleLayers.2.1.module.weight'`` -> ('scaleLayers', '.2.1', 'weight').

    Returns None when ``key`` is not an equalized-layer key of ``groups``.
    """
    for ref in groups:
        if key.startswith(ref + '.'):
            m = re.fullmatch(r'(?P<index>(?:\.\d+)*)\.module\.'
                             r'(?P<leaf>weight|bias)', key[len(ref):])
            if m:
                return ref, m.group('index'), m.group('leaf')
    return None


def _is_generator_state(state):
    return any(k.startswith(('formatLayer.', 'toRGBLayers.')) for k in state)


@register_mapping('PGANGenerator', 'PGANDiscriminator')
def map_pgan(src_state, net):
    """Rename GNet/DNet keys to :class:`PGANGenerator`/:class:`PGANDiscriminator`."""
    state = src_state  # DataParallel prefixes already dropped by the caller
    is_g = type(net).__name__ == 'PGANGenerator'
    if _is_generator_state(state) != is_g:
        kind = 'GNet (generator)' if _is_generator_state(state) else \
            'DNet (discriminator)'
        raise ConversionError(
            f'checkpoint holds a {kind} state_dict, which does not fit '
            f'{type(net).__name__}')
    groups = _G_GROUPS if is_g else _D_GROUPS
    out = collections.OrderedDict()
    unknown = []
    for key, value in state.items():
        parts = _split(key, groups)
        if parts is None:
            unknown.append(key)
            continue
        ref, index, leaf = parts
        out[f'{groups[ref]}{index}.{leaf}'] = value
    if unknown:
        raise ConversionError(
            f'unrecognised progressive-GAN keys for {type(net).__name__}: '
            f'{unknown[:20]}')
    return out


def pgan_depths_from_state(src_state):
    """Per-scale depths ``[depth_scale0, depth_1, ...]`` of a GNet/DNet state.

    Works on either network's reference state_dict (DataParallel prefix
    allowed), so a converter can build a matching network with
    ``depths=...``.
    """
    state = strip_data_parallel(src_state)
    if _is_generator_state(state):
        first = 'groupScale0.0.module.weight'
    else:
        first = 'groupScaleZero.0.module.weight'
    if first not in state:
        raise ConversionError(
            f'not a progressive-GAN state_dict: key {first!r} missing')
    depths = [int(state[first].shape[0])]
    i = 0
    while f'scaleLayers.{i}.0.module.weight' in state:
        # first conv of an added scale outputs that scale's depth in G and D
        depths.append(int(state[f'scaleLayers.{i}.0.module.weight'].shape[0]))
        i += 1
    return depths


def pgan_kwargs_from_state(src_state):
    """Constructor kwargs for the Paddle network matching a GNet/DNet state.

    Returns ``('PGANGenerator', {latent_dim, depths, out_channels})`` or
    ``('PGANDiscriminator', {depths, in_channels, decision_size,
    minibatch_stddev})``. Flags that leave no trace in the weights
    (normalization, leaky slope, activation) keep their defaults.
    """
    state = strip_data_parallel(src_state)
    depths = pgan_depths_from_state(state)
    if _is_generator_state(state):
        return 'PGANGenerator', dict(
            latent_dim=int(state['formatLayer.module.weight'].shape[1]),
            depths=depths,
            out_channels=int(state['toRGBLayers.0.module.weight'].shape[0]))
    conv0_in = int(state['groupScaleZero.0.module.weight'].shape[1])
    return 'PGANDiscriminator', dict(
        depths=depths,
        in_channels=int(state['fromRGBLayers.0.module.weight'].shape[1]),
        decision_size=int(state['decisionLayer.module.weight'].shape[0]),
        minibatch_stddev=conv0_in == depths[0] + 1)


@register_config_adapter('PGANGenerator', 'PGANDiscriminator')
def adapt_pgan_config(net_cfg, src_state):
    """Build the net at the checkpoint's scale: ``depths`` and the sizes
    readable from the weights replace the config's (other flags are kept).

    A GNet checkpoint fits only ``PGANGenerator`` and a DNet one only
    ``PGANDiscriminator``.
    """
    name, kwargs = pgan_kwargs_from_state(src_state)
    if net_cfg.get('name') != name:
        kind = 'GNet (generator)' if name == 'PGANGenerator' else \
            'DNet (discriminator)'
        role = 'generator' if name == 'PGANGenerator' else 'discriminator'
        raise ConversionError(
            f'checkpoint holds a {kind} state_dict, which does not fit '
            f"{net_cfg.get('name')}; convert it into the {name} net "
            f'(--net {role})')
    cfg = with_depths(net_cfg, kwargs.pop('depths'))
    cfg.update(kwargs)
    return cfg
