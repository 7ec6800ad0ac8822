"""The parts of a training run's state that live outside the networks and
optimizers, kept in checkpoints so ``--resume`` continues *exactly*.

* Paddle's random generators (dropout, noise, the PGAN gradient-penalty
  mix, layer initialisation when PGAN grows), stored as plain tuples and
  arrays, which the checkpoint reader's allow-list accepts. Python's
  ``random`` and NumPy's global generator are not saved: they belong to the
  data pipeline, which reseeds them for every sample (``resumable_loader``)
  from a prefetching thread, so model code draws from Paddle (or from its
  own seeded generators) only.
* Optimizer state keyed by parameter *position*: Paddle names an
  optimizer's moment tensors after its parameters' generated names
  (``conv2d_3.w_0_moment1_0``); ``set_state_dict`` accepts keys it cannot
  match without a word, and the first step afterwards fails deep inside
  Paddle ("Optimizer set error"). A resumed process that built its layers
  in another order (or after other layers) gets other names, so the
  checkpoint records each optimizer's parameter names in order and
  :func:`rename_optimizer_state` maps them onto the current ones.
"""
import numpy as np
import paddle
from paddle.base import core

from ..amp import optimizer_parameters
from ..errors import UserError

__all__ = ['capture_rng', 'restore_rng', 'optimizer_param_names',
           'rename_optimizer_state', 'OptimizerStateMismatch']


class OptimizerStateMismatch(UserError, ValueError):
    """A checkpoint's optimizer does not fit the model's parameters."""


def capture_rng():
    """Snapshot of Paddle's random generators."""
    paddle_states = []
    for state in paddle.get_rng_state():
        device, seed, offset, engine = state.__getstate__()
        paddle_states.append((int(device), int(seed), int(offset),
                              np.asarray(engine, dtype=np.uint8)))
    return {'paddle': paddle_states}


def restore_rng(snapshot):
    """Undo :func:`capture_rng`: put the generators back where they were."""
    states = []
    for device, seed, offset, engine in snapshot['paddle']:
        state = core.GeneratorState.__new__(core.GeneratorState)
        state.__setstate__((device, seed, offset,
                            [int(b) for b in np.asarray(engine)]))
        states.append(state)
    if states:
        paddle.set_rng_state(states)


def optimizer_param_names(optimizer):
    """The optimizer's parameter names, in its own order."""
    return [p.name for p in optimizer_parameters(optimizer)]


def rename_optimizer_state(state, saved_names, optimizer, where):
    """``state`` (an optimizer ``state_dict`` saved when the parameters were
    called ``saved_names``) with its keys renamed for ``optimizer``'s
    parameters, matched by position. ``where`` names the checkpoint and
    optimizer in errors."""
    current = optimizer_param_names(optimizer)
    if len(current) != len(saved_names):
        raise OptimizerStateMismatch(
            f'{where}: the checkpoint optimizes {len(saved_names)} parameter '
            f'tensors but this model has {len(current)}; was it saved from '
            'a different model or config?')
    mapping = {old: new for old, new in zip(saved_names, current)
               if old != new}
    if not mapping:
        return state
    # longest first, so 'x.w_1' is never matched as a prefix of 'x.w_10'
    olds = sorted(mapping, key=len, reverse=True)

    def rename(key):
        for old in olds:
            if key == old or key.startswith(old + '_'):
                return mapping[old] + key[len(old):]
        return key

    renamed = {}
    for key, value in state.items():
        if key == 'master_weights' and isinstance(value, dict):
            renamed[key] = {rename(k): v for k, v in value.items()}
        else:
            renamed[rename(key) if isinstance(key, str) else key] = value
    return renamed
