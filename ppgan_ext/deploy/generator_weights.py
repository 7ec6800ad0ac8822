"""Generator weights for inference: the EMA copy when a file has one, loaded
only when they fit the network exactly.

Paddle's ``set_state_dict`` skips keys the network lacks and tensors whose
shape differs with a warning, so weights from another config would run
half-initialised; :func:`load_generator_weights` refuses them instead,
naming the keys.
"""
import numpy as np
import paddle

from ..engine.checkpoint import WeightsMismatchError, load_checkpoint

__all__ = ['read_generator_weights', 'load_generator_weights']


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
    missing, extra or differently shaped keys."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]  # e.g. a deeper model's
    shapes = [f'{k} {list(np.shape(state[k]))} vs {list(own[k].shape)}'
              for k in own if k in state
              and list(np.shape(state[k])) != list(own[k].shape)]
    for problem, keys in (('lacks keys of this generator', missing),
                          ('has keys this generator lacks', extra),
                          ('has shapes that differ (weights vs generator)',
                           shapes)):
        if keys:
            raise WeightsMismatchError(
                f'{what} {problem} ({len(keys)}), e.g. {keys[:3]}; does the '
                'config match the weights?')
    net.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})
