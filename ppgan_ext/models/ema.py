"""Exponential moving average of a network's weights (the "EMA"/"AvG" copy).

``ema = decay * ema + (1 - decay) * live`` for every parameter after each
optimiser step; buffers (BatchNorm statistics, spectral-norm vectors) are
copied as they are. The EMA network is kept in ``model.nets`` so the Trainer
saves it with the weights, and it is what evaluation, inference and export
use.
"""
import copy

import paddle

from .base import unwrap

__all__ = ['make_ema', 'update_ema', 'copy_weights']



def make_ema(net):
    """A frozen deep copy of ``net`` to hold its moving average."""
    ema = copy.deepcopy(unwrap(net))
    for p in ema.parameters():
        p.stop_gradient = True
    ema.eval()
    return ema


@paddle.no_grad()
def update_ema(ema, net, decay):
    """Move ``ema`` towards ``net``: ``ema = decay*ema + (1-decay)*net``."""
    live = dict(unwrap(net).named_parameters())
    for name, p in unwrap(ema).named_parameters():
        p.set_value(p * decay + live[name].detach() * (1.0 - decay))
    live_buffers = dict(unwrap(net).named_buffers())
    for name, b in unwrap(ema).named_buffers():
        if name in live_buffers:
            b.set_value(live_buffers[name])


@paddle.no_grad()
def copy_weights(dst, src):
    """Overwrite ``dst``'s parameters and buffers with ``src``'s."""
    dst = unwrap(dst)
    dst.set_state_dict(unwrap(src).state_dict())
