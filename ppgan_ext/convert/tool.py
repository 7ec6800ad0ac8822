"""``tools/convert_weights.py``: a PyTorch checkpoint -> a ``.pdparams`` file
that ``tools/main.py --load`` / ``--evaluate-only --load`` accepts.

The network is built from the config exactly as training would build it
(``model.<net>``), the family's key mapping is applied and every key and
shape is checked before anything is written. The output holds the weights
under the net's name and, for models that keep an EMA copy of that net
(``ema_nets`` on the model class), under the EMA net's name too, so
evaluation (which uses the EMA net) sees the converted weights.
"""
import paddle
from ppgan.models.discriminators.builder import (DISCRIMINATORS,
                                                 build_discriminator)
from ppgan.models.generators.builder import GENERATORS, build_generator

from ..io.checkpoint import save_checkpoint
from ..io.torch_reader import load_torch_state_dict
from ..models.base import plugin_model
from . import ConversionError, adapt_net_config, convert_state_dict

__all__ = ['convert_checkpoint', 'build_net']


def build_net(net_cfg, where):
    """The network ``net_cfg`` names, built by the registry that holds it
    (generators, discriminators)."""
    name = net_cfg.get('name')
    for registry, builder in ((GENERATORS, build_generator),
                              (DISCRIMINATORS, build_discriminator)):
        if name in registry._obj_map:
            return builder(dict(net_cfg))
    raise ConversionError(f'{where}.name={name!r}: not a registered '
                          'generator or discriminator')


def convert_checkpoint(cfg, src, dst, net='generator', key=None,
                       allow_module_pickle=False, log=print):
    """Convert ``src`` for ``cfg.model[net]`` and write ``dst``.

    Returns the list of net names written.
    """
    model_cfg = cfg['model']
    if net not in model_cfg or not isinstance(model_cfg[net], dict):
        nets = [k for k, v in model_cfg.items() if isinstance(v, dict)
                and 'name' in v]
        raise ConversionError(f'--net {net}: the config has no model.{net} '
                              f'to convert into (networks: {nets})')
    src_state = load_torch_state_dict(src, allow_module_pickle, key)
    net_cfg = adapt_net_config(model_cfg[net], src_state)
    layer = build_net(net_cfg, f'model.{net}')
    converted = convert_state_dict(src_state, layer)
    # load once: proves the result is accepted by the network itself
    layer.set_state_dict({k: paddle.to_tensor(v) for k, v in
                          converted.items()})
    model_cls = plugin_model(model_cfg)
    ema_nets = model_cls.ema_nets if model_cls else {}
    names = [net] + [ema for ema, live in ema_nets.items() if live == net]
    save_checkpoint({n: converted for n in names}, dst)
    n_params = sum(int(v.size) for v in converted.values())
    log(f'{src} -> {dst}: {len(converted)} tensors, {n_params:,} values, '
        f'{net_cfg["name"]} as {", ".join(names)}')
    return names
