"""Key mappings: chaofengc/Face-SPARNet ``SPARNet`` -> our SPARNet, and its
SPARNetHD ``MultiScaleDiscriminator`` -> our ``SPARNetHDDiscriminator``.

Reference layout (``models/sparnet.py`` / ``models/blocks.py``) -> ours:

* ``encoder.0`` -> ``in_conv``; ``encoder.{i}`` -> ``encoder.{i-1}``;
  ``res_layers.{i}`` -> ``body.{i}``
* block parts: ``shortcut_func`` -> ``shortcut``, ``preact_func.0.norm`` ->
  ``pre_norm``, ``preact_func.1.func`` -> ``pre_act``, ``att_func`` ->
  ``attention``
* conv units: ``conv2d`` -> ``conv``, ``norm.norm`` -> ``norm``,
  ``relu.func`` -> ``act``
* hourglass level L: ``b1_L``/``b2_L``/``b3_L`` -> ``skip``/``down``/``up``
  ``.{index of L}``, ``b2_plus_L`` -> ``bottom``,
  ``out_block.0`` -> ``out_conv``
* instance-norm ``weight`` -> ``scale``, PReLU ``weight`` -> ``_weight``
  (Paddle's names)

Discriminator (``models/networks.py``): ``D_pool.{i}.model.{j}`` ->
``scales.{i}.units.{j}``, ``D_pool.{i}.score_out.conv2d`` ->
``scales.{i}.score``, conv units as above.

Spectral-norm tensors (``weight_orig``, ``weight_u``, ``weight_v``) keep their
names; BatchNorm buffers are renamed by the shared layout rules.
"""
import collections
import re

import paddle

from .. import register_mapping

_HOURGLASS = re.compile(r'^(.*\.attention)\.(b2_plus|b1|b2|b3)_(-?\d+)\.(.*)$')
_BRANCH = {'b1': 'skip', 'b2': 'down', 'b3': 'up'}
# Paddle layers whose ``weight`` parameter has another name.
_PADDLE_WEIGHT_NAMES = ((paddle.nn.InstanceNorm2D, 'scale'),
                        (paddle.nn.PReLU, '_weight'))


def _rename_top(key):
    m = re.match(r'^encoder\.(\d+)\.(.*)$', key)
    if m:
        i = int(m.group(1))
        return (f'in_conv.{m.group(2)}' if i == 0 else
                f'encoder.{i - 1}.{m.group(2)}')
    return re.sub(r'^res_layers\.', 'body.', key)


def _rename_parts(key):
    for old, new in (('.shortcut_func.', '.shortcut.'),
                     ('.preact_func.0.norm.', '.pre_norm.'),
                     ('.preact_func.1.func.', '.pre_act.'),
                     ('.att_func.', '.attention.'),
                     ('.out_block.0.', '.out_conv.'),
                     ('.conv2d.', '.conv.'),
                     ('.norm.norm.', '.norm.'),
                     ('.relu.func.', '.act.')):
        key = key.replace(old, new)
    return key


def _rename_hourglass(key, layers):
    m = _HOURGLASS.match(key)
    if not m:
        return key
    prefix, branch, level, rest = m.groups()
    if branch == 'b2_plus':
        return f'{prefix}.bottom.{rest}'
    levels = getattr(layers.get(prefix), 'levels', None)
    if not levels or int(level) not in levels:
        return key  # left for convert_state_dict to report as unexpected
    return f'{prefix}.{_BRANCH[branch]}.{levels.index(int(level))}.{rest}'


def _rename_weight(key, layers):
    owner, _, leaf = key.rpartition('.')
    if leaf == 'weight':
        for kind, name in _PADDLE_WEIGHT_NAMES:
            if isinstance(layers.get(owner), kind):
                return f'{owner}.{name}'
    return key


@register_mapping('SPARNet')
def map_sparnet(src_state, net):
    """Rename Face-SPARNet ``SPARNet`` keys to ours."""
    layers = dict(net.named_sublayers())
    out = collections.OrderedDict()
    for key, value in src_state.items():
        new = _rename_parts(_rename_top(key))
        new = _rename_hourglass(new, layers)
        out[_rename_weight(new, layers)] = value
    return out


_D_UNIT = re.compile(r'^D_pool\.(\d+)\.model\.(\d+)\.')
_D_SCORE = re.compile(r'^D_pool\.(\d+)\.score_out\.conv2d\.')


@register_mapping('SPARNetHDDiscriminator')
def map_sparnethd_discriminator(src_state, net):
    """Rename Face-SPARNet ``MultiScaleDiscriminator`` keys to ours."""
    layers = dict(net.named_sublayers())
    out = collections.OrderedDict()
    for key, value in src_state.items():
        new = _D_SCORE.sub(r'scales.\1.score.', key)
        new = _rename_parts(_D_UNIT.sub(r'scales.\1.units.\2.', new))
        out[_rename_weight(new, layers)] = value
    return out
