"""Generator weights for inference: the EMA copy when a file has one, loaded
only when they fit the network exactly.

Paddle's ``set_state_dict`` skips keys the network lacks and tensors whose
shape differs with a warning, so weights from another config would run
half-initialised; :func:`load_generator_weights` refuses them instead,
naming the keys.
"""
import numpy as np
import paddle
from ppgan.models.generators.builder import build_generator

from ..config import config_section
from ..errors import UserError
from ..io.checkpoint import (WeightsMismatchError, check_state_fits,
                             load_checkpoint)
from ..models.base import plugin_model

__all__ = ['read_generator_weights', 'load_generator_weights',
           'load_generator']


def read_generator_weights(path):
    """``(net name, state)`` of ``path``: ``generator_ema`` if present, else
    ``generator``, else a bare ``paddle.save(state_dict)``."""
    state = load_checkpoint(path)
    for name in ('generator_ema', 'generator'):
        if name in state:
            return name, state[name]
    if all(isinstance(v, np.ndarray) for v in state.values()):
        return 'generator', state
    raise WeightsMismatchError(f'{path}: no generator weights (nets: '
                               f'{sorted(state)})')


def load_generator_weights(net, state, what):
    """Set ``net``'s weights from ``state`` (arrays), or raise
    :class:`WeightsMismatchError` (prefixed ``what``) naming the first
    missing, extra or differently shaped keys (``check_state_fits``)."""
    check_state_fits(net, state, what)
    net.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})


def load_generator(cfg, weights):
    """``(generator, its config)``: the config's ``model.generator`` with
    the weights of ``weights`` (EMA copy if present), in eval mode.

    A model whose generator's shape depends on training progress (PGAN
    grows) says which shape fits the weights through the classmethod
    ``generator_config_for(model_cfg, state)``.
    """
    name, state = read_generator_weights(weights)
    model_cfg = cfg['model']
    model_cls = plugin_model(model_cfg)
    try:
        gen_cfg = (model_cls.generator_config_for(model_cfg, state)
                   if model_cls else dict(model_cfg['generator']))
    except UserError as e:
        raise WeightsMismatchError(f'{weights}: {e}') from None
    with config_section('model.generator'):
        net = build_generator(dict(gen_cfg))
    load_generator_weights(net, state, f'{weights}: {name}')
    net.eval()
    return net, gen_cfg
