"""RDN: parity with both PyTorch layouts, shapes, param counts, converter."""
import collections

import numpy as np
import paddle
import pytest

from tests.parity_utils import assert_parity, load_case  # noqa: E402

import ppgan_ext  # noqa: E402,F401
import ppgan_ext.convert.mappings.rdn  # noqa: E402,F401  (registers mapping)
from ppgan.models.generators.builder import GENERATORS  # noqa: E402
from ppgan_ext.convert import ConversionError, convert_state_dict  # noqa
from tests.parity_utils import load_converted  # noqa: E402
from ppgan_ext.models.generators.rdn import RDN  # noqa: E402


def _from_seed_kwargs(channel, growth_rate, rdb_number, upscale_factor,
                      width):
    """Our RDN for the seed reference's ``RDN(...)`` with width ``width``."""
    del growth_rate  # the seed reference ignores it
    return RDN(in_channels=channel, out_channels=channel,
               num_features=width, growth_rate=width, num_blocks=3,
               num_layers=rdb_number, scale=upscale_factor,
               upsampler='seed')


def _from_official_kwargs(scale, G0, D, C, G, n_colors, kSize):
    return RDN(in_channels=n_colors, out_channels=n_colors, num_features=G0,
               num_blocks=D, num_layers=C, growth_rate=G, scale=scale,
               kernel_size=kSize, upsampler='official')


def _build(case):
    if case['case'].startswith('tiny_rdn_official'):
        return _from_official_kwargs(**case['kwargs'])
    return _from_seed_kwargs(**case['kwargs'], **case['extra'])


def _param_count(net):
    return int(sum(np.prod(p.shape) for p in net.parameters()))


@pytest.mark.parametrize('name', ['tiny_rdn', 'tiny_rdn_x3',
                                  'tiny_rdn_official_x2',
                                  'tiny_rdn_official_x4'])
def test_parity(name):
    case, state, x, y = load_case(name)
    net = _build(case)
    assert _param_count(net) == case['param_count']
    load_converted(net, state)
    net.eval()
    with paddle.no_grad():
        out = net(paddle.to_tensor(x))
    err = assert_parity(out, case, y)
    print(f'{name}: max abs error {err:.3e} '
          f"(suggested_atol {case['suggested_atol']:.3e})")


def test_parity_with_dataparallel_prefix():
    case, state, x, y = load_case('tiny_rdn_official_x2')
    net = _build(case)
    load_converted(net, collections.OrderedDict(
        ('module.' + k, v) for k, v in state.items()))
    net.eval()
    with paddle.no_grad():
        assert_parity(net(paddle.to_tensor(x)), case, y)


@pytest.mark.parametrize('upsampler', ['official', 'seed'])
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_output_shape(scale, upsampler):
    net = RDN(in_channels=1, out_channels=2, num_features=4, num_blocks=2,
              num_layers=2, growth_rate=3, scale=scale, upsampler=upsampler)
    with paddle.no_grad():
        out = net(paddle.rand([2, 1, 5, 7]))
    assert tuple(out.shape) == (2, 2, 5 * scale, 7 * scale)


def test_x4_layouts_differ():
    kw = dict(num_features=4, num_blocks=1, num_layers=1, growth_rate=4,
              scale=4)
    official = RDN(upsampler='official', **kw).state_dict()
    seed = RDN(upsampler='seed', **kw).state_dict()
    assert tuple(official['upsampler.0.weight'].shape) == (16, 4, 3, 3)
    assert tuple(official['upsampler.2.weight'].shape) == (16, 4, 3, 3)
    assert tuple(seed['upsampler.0.weight'].shape) == (64, 4, 3, 3)
    assert 'upsampler.2.weight' not in seed


@pytest.mark.parametrize('scale,expected', [(2, 22123395), (3, 22308035),
                                            (4, 22271107)])
def test_paper_param_count(scale, expected):
    net = RDN(num_features=64, num_blocks=16, num_layers=8, growth_rate=64,
              scale=scale, upsampler='official')
    assert _param_count(net) == expected


def test_registered():
    assert GENERATORS.get('RDN') is RDN


@pytest.mark.parametrize('kwargs,argument', [
    (dict(scale=8), 'scale'),
    (dict(upsampler='nearest'), 'upsampler'),
    (dict(kernel_size=4), 'kernel_size'),
    (dict(num_blocks=0), 'num_blocks'),
])
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        RDN(**kwargs)


def _official_case():
    case, state, _, _ = load_case('tiny_rdn_official_x2')
    return _build(case), state


def test_converter_reports_missing_key():
    net, state = _official_case()
    del state['RDBs.1.LFF.weight']
    with pytest.raises(ConversionError,
                       match=r'missing.*blocks\.1\.lff\.weight'):
        convert_state_dict(state, net)


def test_converter_reports_unexpected_key():
    net, state = _official_case()
    state['RDBs.0.extra.weight'] = np.zeros([1], np.float32)
    with pytest.raises(ConversionError,
                       match=r'unexpected.*RDBs\.0\.extra\.weight'):
        convert_state_dict(state, net)


def test_converter_reports_misshaped_key():
    net, state = _official_case()
    state['GFF.1.weight'] = np.zeros([8, 8, 5, 5], np.float32)
    with pytest.raises(ConversionError,
                       match=r'mis-shaped.*gff_3x3\.weight \[8, 8, 5, 5\]'):
        convert_state_dict(state, net)


@pytest.mark.parametrize('case_name,net_layout,found', [
    ('tiny_rdn', 'official', 'seed'),
    ('tiny_rdn_official_x2', 'seed', 'official'),
])
def test_converter_refuses_wrong_layout(case_name, net_layout, found):
    case, state, _, _ = load_case(case_name)
    net = _build(case)
    wrong = RDN(in_channels=net.sfe1.weight.shape[1],
                out_channels=net.out_conv.weight.shape[0],
                num_features=net.sfe1.weight.shape[0],
                num_blocks=len(net.blocks),
                num_layers=len(net.blocks[0].layers),
                growth_rate=net.out_conv.weight.shape[1],
                scale=net.scale, upsampler=net_layout)
    with pytest.raises(ConversionError,
                       match=f"'{found}' layout.*upsampler='{net_layout}'"):
        convert_state_dict(state, wrong)


def test_converter_refuses_unknown_layout():
    net, _ = _official_case()
    state = collections.OrderedDict(
        [('head.weight', np.zeros([1], np.float32))])
    with pytest.raises(ConversionError, match='head.weight'):
        convert_state_dict(state, net)
