"""SPARNet / SPARNetHD generator: parity with chaofengc/Face-SPARNet, the
attention maps, released parameter counts, weight mapping and bad arguments."""
import copy

import numpy as np
import paddle
import pytest

from tests.parity_utils import assert_parity, load_case, load_converted
import ppgan_ext.convert.mappings.sparnet  # noqa: F401  (registers mapping)
from ppgan_ext.convert import ConversionError, convert_state_dict
from ppgan_ext.models.generators.sparnet import SPARNet
from ppgan.models.generators.builder import GENERATORS

CASES = ['tiny_sparnet', 'tiny_sparnet_attn3d', 'tiny_sparnet_oddsize',
         'tiny_sparnet_cmid64', 'tiny_sparnethd', 'tiny_sparnethd_attn3d']

# Released configurations, as models/sparnet_model.py, sparnethd_model.py and
# the options / test.sh of the reference set them.
SPARNET = dict(min_ch=32, max_ch=128, in_size=128, out_size=128,
               min_feat_size=16, res_depth=10, relu_type='leakyrelu',
               norm_type='bn', att_name='spar', bottleneck_size=4)
SPARNET_LIGHT_3D = dict(SPARNET, res_depth=1, att_name='spar3d')
SPARNETHD_2D = dict(min_ch=32, max_ch=512, in_size=512, out_size=512,
                    min_feat_size=32, res_depth=10, relu_type='leakyrelu',
                    norm_type='in', att_name='spar', bottleneck_size=4,
                    spectral_norm=True)
SPARNETHD_3D = dict(SPARNETHD_2D, att_name='spar3d')


def n_params(net):
    """Trainable parameters (what torch's ``parameters()`` counts)."""
    return sum(int(np.prod(p.shape)) for p in net.parameters()
               if not p.stop_gradient)


def build_case(name):
    case, state, x, y = load_case(name)
    extra = case.get('extra', {})
    net = SPARNet(**case['kwargs'],
                  hourglass_width=extra.get('hourglass_c_mid', 64),
                  spectral_norm=extra.get('spectral_norm', False))
    load_converted(net, state)
    net.eval()
    return net, case, state, paddle.to_tensor(x), y


@pytest.mark.parametrize('name', CASES)
def test_parity(name):
    net, case, _, x, _ = build_case(name)
    assert n_params(net) == case['param_count']
    with paddle.no_grad():
        out = net(x)
    assert_parity(out, case)


def test_return_attention_shapes_and_range():
    net, _, _, x, _ = build_case('tiny_sparnet_attn3d')
    with paddle.no_grad():
        out, maps = net(x, return_attention=True)
        plain = net(x)
    np.testing.assert_array_equal(out.numpy(), plain.numpy())
    # 2 encoder (16,8 px), 1 body (8 px), 2 decoder (16,32 px) units; 3D
    # attention has the unit's output channels.
    shapes = [tuple(m.shape) for m in maps]
    assert shapes == [(2, 16, 16, 16), (2, 16, 8, 8), (2, 16, 8, 8),
                      (2, 16, 16, 16), (2, 8, 32, 32)]
    for m in maps:
        v = m.numpy()
        assert v.min() > 0.0 and v.max() < 1.0


def test_attention_2d_is_one_channel_and_depth0_is_skipped():
    net, _, _, x, _ = build_case('tiny_sparnet_cmid64')
    with paddle.no_grad():
        _, maps = net(x, return_attention=True)
    # hourglass depth 0 in the encoder unit and both body units: only the
    # decoder unit has attention.
    assert [u.attention is None for u in net.encoder] == [True]
    assert [u.attention is None for u in net.body] == [True, True]
    assert [tuple(m.shape) for m in maps] == [(1, 1, 16, 16)]


def test_att_name_none_has_no_hourglass():
    net = SPARNet(min_ch=8, max_ch=16, in_size=16, out_size=16,
                  min_feat_size=8, res_depth=0, att_name='none',
                  hourglass_width=8)
    net.eval()
    out, maps = net(paddle.rand([1, 3, 16, 16]), return_attention=True)
    assert maps == [] and tuple(out.shape) == (1, 3, 16, 16)
    assert not any('attention' in k for k in net.state_dict())


def test_mapping_accepts_module_prefix():
    net, _, state, x, y = build_case('tiny_sparnethd')
    prefixed = {'module.' + k: v for k, v in state.items()}
    fresh = SPARNet(min_ch=8, max_ch=32, in_size=64, out_size=64,
                    min_feat_size=16, res_depth=0, norm_type='in',
                    bottleneck_size=8, hourglass_width=8, spectral_norm=True)
    load_converted(fresh, prefixed)
    fresh.eval()
    with paddle.no_grad():
        np.testing.assert_array_equal(fresh(x).numpy(), net(x).numpy())


def test_mapping_renames_prelu_weights():
    # Reference PReLU keys: ConvLayer '<p>.relu.func.weight' (conv1 and the
    # hourglass convs, i.e. every normalised ConvLayer but conv2) and
    # '<unit>.preact_func.1.func.weight'.
    case, state, _, _ = load_case('tiny_sparnet')
    state = dict(state)
    for key, value in list(state.items()):
        if key.endswith('.norm.norm.weight') and '.conv2.' not in key:
            prelu = key[:-len('norm.norm.weight')] + 'relu.func.weight'
            state[prelu] = np.full_like(value, 0.3)
        elif key.endswith('.preact_func.0.norm.weight'):
            prelu = key.replace('.preact_func.0.norm.', '.preact_func.1.func.')
            state[prelu] = np.full_like(value, 0.4)
    net = SPARNet(**dict(case['kwargs'], relu_type='prelu'),
                  hourglass_width=8)
    load_converted(net, state)
    assert net.encoder[0].pre_act._weight.numpy() == pytest.approx(0.4)
    assert net.decoder[1].attention.skip[0].act._weight.numpy() == \
        pytest.approx(0.3)


def test_mapping_rejects_wrong_config():
    _, _, state, _, _ = build_case('tiny_sparnet')
    wrong = SPARNet(min_ch=8, max_ch=16, in_size=32, out_size=32,
                    min_feat_size=8, res_depth=0, att_name='spar3d',
                    bottleneck_size=8, hourglass_width=8)
    with pytest.raises(ConversionError, match='mis-shaped'):
        convert_state_dict(state, wrong)


def test_spectral_norm_power_iteration_only_in_train_mode():
    net, _, _, x, _ = build_case('tiny_sparnethd')
    conv = net.in_conv.conv
    u0 = conv.weight_u.numpy().copy()
    with paddle.no_grad():
        net(x)
    np.testing.assert_array_equal(conv.weight_u.numpy(), u0)
    net.train()
    with paddle.no_grad():
        net(x)
    w = conv.weight_orig.numpy().reshape(conv.weight_orig.shape[0], -1)
    v1 = w.T @ u0
    v1 /= np.linalg.norm(v1)
    u1 = w @ v1
    u1 /= np.linalg.norm(u1)
    np.testing.assert_allclose(conv.weight_u.numpy(), u1, atol=1e-5)
    # The EMA copy of SPARNetHD is a deep copy; it must run on its own.
    ema = copy.deepcopy(net)
    ema.eval()
    with paddle.no_grad():
        assert tuple(ema(x).shape) == (1, 3, 64, 64)


def test_identity_shortcut_sees_activated_input_without_norm():
    # Reference quirk: with norm_type='none' the in-place LeakyReLU of the
    # pre-activation overwrites the input the identity shortcut adds back.
    net = SPARNet(min_ch=8, max_ch=8, in_size=16, out_size=16,
                  min_feat_size=8, res_depth=0, norm_type='none',
                  att_name='none')
    unit = net.body[0]
    assert unit.shortcut is None and unit.act_overwrites_input
    x = paddle.randn([1, 8, 8, 8])
    out, _ = unit(x)
    act = paddle.nn.functional.leaky_relu(x, 0.2)
    expected = act + unit.conv2(unit.conv1(act))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=1e-6)


@pytest.mark.parametrize('name', ['tiny_sparnet_oddsize', 'tiny_sparnethd'])
def test_to_static_export_dynamic_shape(name, tmp_path):
    # oddsize: the hourglass resize must survive unknown spatial sizes;
    # HD: the spectral norm must be traced (no eager forward before export).
    net, case, _, x, _ = build_case(name)
    spec = [paddle.static.InputSpec([None, 3, None, None], 'float32')]
    static = paddle.jit.to_static(net, input_spec=spec, full_graph=True)
    paddle.jit.save(static, str(tmp_path / 'sparnet'))
    loaded = paddle.jit.load(str(tmp_path / 'sparnet'))
    assert_parity(loaded(x), case)


@pytest.mark.parametrize('kwargs, count', [
    (SPARNET, 10_518_867),            # published 10.52M
    (SPARNET_LIGHT_3D, 5_242_211),    # published 5.24M
    (SPARNETHD_2D, 85_793_412),
    (SPARNETHD_3D, 90_093_793),
])
def test_released_parameter_counts(kwargs, count):
    # LazyGuard skips allocating/initialising the weights.
    with paddle.LazyGuard():
        net = SPARNet(**kwargs)
    assert n_params(net) == count


def test_registered_in_ppgan_generators():
    assert GENERATORS.get('SPARNet') is SPARNet


@pytest.mark.parametrize('arg, value', [('norm_type', 'batch'),
                                        ('att_name', 'spar2d'),
                                        ('relu_type', 'gelu')])
def test_bad_choice_raises_value_error_naming_argument(arg, value):
    with pytest.raises(ValueError, match=arg):
        SPARNet(min_ch=8, max_ch=16, in_size=16, out_size=16,
                min_feat_size=8, res_depth=0, hourglass_width=8,
                **{arg: value})


def test_group_norm_needs_divisible_channels():
    with pytest.raises(ValueError, match='norm_type'):
        SPARNet(min_ch=8, max_ch=16, in_size=16, out_size=16,
                min_feat_size=8, res_depth=0, norm_type='gn')
