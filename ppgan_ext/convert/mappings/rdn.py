"""Key mapping: PyTorch RDN state_dicts -> our ``RDN``.

Two reference layouts are recognised by their key names (``convert_state_dict``
has already dropped DataParallel's ``module.`` prefixes):

* 'official' -- EDSR-PyTorch ``src/model/rdn.py`` (released RDN_BIX2/3/4):
  ``SFENet1/2`` -> ``sfe1/2``; ``RDBs.{d}.convs.{c}.conv.0`` ->
  ``blocks.{d}.layers.{c}.conv``; ``RDBs.{d}.LFF`` -> ``blocks.{d}.lff``;
  ``GFF.0/1`` -> ``gff_1x1/gff_3x3``; ``UPNet.{i}`` -> ``upsampler.{i}``
  except its last conv (``UPNet.2`` at x2/x3, ``UPNet.4`` at x4) ->
  ``out_conv``.
* 'seed' -- puffnjackie/pytorch-super-resolution-implementations
  ``model/rdn.py``: ``SFF1/2`` -> ``sfe1/2``; ``RDB{d+1}.layer.{c}.conv`` ->
  ``blocks.{d}.layers.{c}.conv``; ``RDB{d+1}.conv1x1`` -> ``blocks.{d}.lff``;
  ``GFF1/2`` -> ``gff_1x1/gff_3x3``; ``upconv`` -> ``upsampler.0``;
  ``conv2`` -> ``out_conv``. (That repo's ``train.py`` pickles the whole
  model: read it with ``load_torch_state_dict(path,
  allow_module_objects=True)``.)

The detected layout must match the network's ``upsampler`` argument. Keys
that fit neither pattern keep their name, so the shared checks report them.
"""
import collections
import re

from .. import ConversionError, register_mapping

_OFFICIAL_RULES = (
    (re.compile(r'^SFENet([12])\.(.*)$'), lambda m: f'sfe{m[1]}.{m[2]}'),
    (re.compile(r'^RDBs\.(\d+)\.convs\.(\d+)\.conv\.0\.(.*)$'),
     lambda m: f'blocks.{m[1]}.layers.{m[2]}.conv.{m[3]}'),
    (re.compile(r'^RDBs\.(\d+)\.LFF\.(.*)$'),
     lambda m: f'blocks.{m[1]}.lff.{m[2]}'),
    (re.compile(r'^GFF\.0\.(.*)$'), lambda m: f'gff_1x1.{m[1]}'),
    (re.compile(r'^GFF\.1\.(.*)$'), lambda m: f'gff_3x3.{m[1]}'),
)

_SEED_RULES = (
    (re.compile(r'^SFF([12])\.(.*)$'), lambda m: f'sfe{m[1]}.{m[2]}'),
    (re.compile(r'^RDB(\d+)\.layer\.(\d+)\.conv\.(.*)$'),
     lambda m: f'blocks.{int(m[1]) - 1}.layers.{m[2]}.conv.{m[3]}'),
    (re.compile(r'^RDB(\d+)\.conv1x1\.(.*)$'),
     lambda m: f'blocks.{int(m[1]) - 1}.lff.{m[2]}'),
    (re.compile(r'^GFF1\.(.*)$'), lambda m: f'gff_1x1.{m[1]}'),
    (re.compile(r'^GFF2\.(.*)$'), lambda m: f'gff_3x3.{m[1]}'),
    (re.compile(r'^upconv\.(.*)$'), lambda m: f'upsampler.0.{m[1]}'),
    (re.compile(r'^conv2\.(.*)$'), lambda m: f'out_conv.{m[1]}'),
)

_UPNET = re.compile(r'^UPNet\.(\d+)\.(.*)$')

_LAYOUT_MARKERS = {
    'official': ('SFENet1.', 'RDBs.', 'UPNet.'),
    'seed': ('SFF1.', 'RDB1.', 'upconv.'),
}
_LAYOUT_SOURCES = {
    'official': 'EDSR-PyTorch src/model/rdn.py',
    'seed': 'puffnjackie/pytorch-super-resolution-implementations '
            'model/rdn.py',
}


def detect_layout(keys):
    """Return 'official' or 'seed' for a list of (prefix-free) RDN keys."""
    found = [
        layout for layout, markers in _LAYOUT_MARKERS.items()
        if any(k.startswith(m) for k in keys for m in markers)
    ]
    if len(found) != 1:
        what = 'keys of both' if found else 'no keys of either'
        raise ConversionError(
            f'RDN checkpoint has {what} known layout(s): expected keys '
            f"starting with {_LAYOUT_MARKERS['official']} (official, "
            f"{_LAYOUT_SOURCES['official']}) or {_LAYOUT_MARKERS['seed']} "
            f"(seed, {_LAYOUT_SOURCES['seed']}); first keys: {list(keys)[:5]}")
    return found[0]


def _rename(key, rules):
    for pattern, new in rules:
        m = pattern.match(key)
        if m:
            return new(m)
    return key


def _rename_official(key, out_conv_index):
    m = _UPNET.match(key)
    if m:
        i = int(m[1])
        return (f'out_conv.{m[2]}' if i == out_conv_index else
                f'upsampler.{i}.{m[2]}')
    return _rename(key, _OFFICIAL_RULES)


@register_mapping('RDN')
def map_rdn(src_state, net):
    """Rename an official- or seed-layout RDN state_dict to ``net``'s keys."""
    state = src_state
    layout = detect_layout(list(state))
    wanted = net.upsampler_layout
    if layout != wanted:
        raise ConversionError(
            f"RDN checkpoint is in the '{layout}' layout "
            f'({_LAYOUT_SOURCES[layout]}) but the network was built with '
            f"upsampler='{wanted}'; build it with upsampler='{layout}'")
    out = collections.OrderedDict()
    if layout == 'official':
        # reference Sequential: conv, shuffle[, conv, shuffle], conv
        out_conv_index = len(net.upsampler)
        for k, v in state.items():
            out[_rename_official(k, out_conv_index)] = v
    else:
        for k, v in state.items():
            out[_rename(k, _SEED_RULES)] = v
    return out
