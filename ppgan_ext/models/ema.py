"""Exponential moving average of a network's weights (the "EMA"/"AvG" copy).

``ema = decay * ema + (1 - decay) * live`` for every parameter; buffers
(spectral-norm vectors) are copied as they are, or averaged the same way
(SPARNetHD's reference averages the whole state_dict). When it runs is the
model's choice: PGAN after the generator's step, SPARNetHD before it, as
their references. The EMA network is kept in ``model.nets`` so the Trainer
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
def update_ema(ema, net, decay, average_buffers=False):
    """Move ``ema`` towards ``net``: ``ema = decay*ema + (1-decay)*net`` for
    every parameter, and for every floating-point buffer too if
    ``average_buffers`` (else buffers are copied)."""
    live = dict(unwrap(net).named_parameters())
    for name, p in unwrap(ema).named_parameters():
        p.set_value(p * decay + live[name].detach() * (1.0 - decay))
    live_buffers = dict(unwrap(net).named_buffers())
    for name, b in unwrap(ema).named_buffers():
        if name not in live_buffers:
            continue
        src = live_buffers[name]
        if average_buffers and src.is_floating_point():
            b.set_value(b * decay + src * (1.0 - decay))
        else:
            b.set_value(src)


@paddle.no_grad()
def copy_weights(dst, src):
    """Overwrite ``dst``'s parameters and buffers with ``src``'s."""
    dst = unwrap(dst)
    dst.set_state_dict(unwrap(src).state_dict())
