"""Progressive growing (PGAN) scaffolding shared by its generator and
discriminator: layer factories and scale bookkeeping, per-scale depths and
the fade-in factor."""
from ..config import ConfigError
from .equalized_layers import (EqualizedConv2d, EqualizedLinear,
                               UpscalingEqualizedConv2d)

__all__ = ['ProgressiveLayersMixin', 'resolve_depths', 'with_depths',
           'check_alpha']


def resolve_depths(depth_scale0, depths, default=512):
    """Return the per-scale depth list from ``depth_scale0`` / ``depths``."""
    if depths is None:
        d0 = default if depth_scale0 is None else depth_scale0
        depths = [d0]
    else:
        depths = list(depths)
        if not depths:
            raise ConfigError('depths must list at least the depth of scale 0')
        if depth_scale0 is not None and depth_scale0 != depths[0]:
            raise ConfigError(
                f'depth_scale0={depth_scale0} contradicts depths[0]='
                f'{depths[0]}; give one of them')
    for i, d in enumerate(depths):
        if not isinstance(d, int) or isinstance(d, bool) or d < 1:
            raise ConfigError(f'depths[{i}] must be a positive int, got {d!r}')
    return depths


def with_depths(net_cfg, depths):
    """A copy of a PGAN G/D config with its per-scale ``depths`` set (the
    one place a config's depths are rewritten: the model's start, weights
    of a grown model, converted checkpoints)."""
    cfg = dict(net_cfg)
    cfg.pop('depth_scale0', None)
    cfg['depths'] = [int(d) for d in depths]
    return cfg


def check_alpha(alpha):
    """Validate a blending factor and return it as a Python float."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f'alpha must be a number in [0, 1], got {alpha!r}')
    if not 0. <= value <= 1.:
        raise ValueError(f'alpha must be in [0, 1], got {alpha!r}')
    return value


class ProgressiveLayersMixin:
    """Layer factories and scale bookkeeping shared by PGAN's G and D.

    Users set ``equalized_lr`` and ``init_bias_to_zero`` and define
    ``num_scales``.
    """

    def _conv(self, cin, cout, k, padding=0, upscaling=False):
        kind = UpscalingEqualizedConv2d if upscaling else EqualizedConv2d
        return kind(cin, cout, k, padding=padding,
                    equalized=self.equalized_lr,
                    init_bias_to_zero=self.init_bias_to_zero)

    def _linear(self, fin, fout):
        return EqualizedLinear(fin, fout, equalized=self.equalized_lr,
                               init_bias_to_zero=self.init_bias_to_zero)

    @property
    def resolution(self):
        """Side of the images at the current scale."""
        return 4 * 2**(self.num_scales - 1)

    @staticmethod
    def _check_depth(depth):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise ConfigError(f'depth must be a positive int, got {depth!r}')
