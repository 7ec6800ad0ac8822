"""SPARNetModel: L1 training (and its AMP path), [-1, 1] de-normalisation for
metrics, attention visuals, and batches without ground truth."""
import contextlib

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
import ppgan_ext.models.sparnet_model  # noqa: F401  (registers the model)
from ppgan.metrics.psnr_ssim import PSNR, SSIM
from ppgan.models.builder import MODELS
from ppgan.utils.visual import tensor2img
from ppgan_ext.metrics.face_psnr_ssim import FacePSNR, FaceSSIM
from ppgan_ext.models.sparnet_model import SPARNetModel
from tests.real_faces import lfw_face

TINY = dict(name='SPARNet', min_ch=8, max_ch=16, in_size=32, out_size=32,
            min_feat_size=8, res_depth=0, norm_type='bn', att_name='spar',
            bottleneck_size=8, hourglass_width=8)


def faces(n=2, size=32):
    """``n`` real faces, uint8 RGB, ``size`` square."""
    return [lfw_face(i, size) for i in range(n)]


def normalise(imgs):
    x = np.stack([i.transpose(2, 0, 1) for i in imgs]).astype(np.float32)
    return x / 127.5 - 1.0


def batch(n=2, scale=4):
    from ppgan_ext.datasets.face_transforms import lr_from_hr
    hr = faces(n)
    lr = [lr_from_hr(h, scale)[1] for h in hr]
    return {'lq': normalise(lr), 'gt': normalise(hr),
            'lq_path': [f'f{i}.png' for i in range(n)]}, hr


def make_model(**kw):
    paddle.seed(3)
    return SPARNetModel(generator=dict(TINY), pixel_criterion={'name':
                                                               'L1Loss'},
                        **kw)


def test_registered():
    assert MODELS.get('SPARNetModel') is SPARNetModel


def test_train_iter_decreases_loss_on_fixed_batch():
    model = make_model()
    opt = paddle.optimizer.Adam(
        2e-3, beta1=0.9, beta2=0.99,
        parameters=model.nets['generator'].parameters())
    data, _ = batch()
    losses = []
    for _ in range(25):
        model.setup_input(data)
        model.train_iter({'optim': opt})
        losses.append(float(model.losses['loss_pixel']))
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.6 * losses[0], losses


class RecordingAmp:
    """Stands in for ppgan_ext.amp.Amp at level O1 and records the calls."""
    level, enabled = 'O1', True

    def __init__(self):
        self.calls = []

    def autocast(self):
        self.calls.append('autocast')
        return contextlib.nullcontext()

    def step(self, loss, optimizer, name='default'):
        self.calls.append(('step', float(loss), name))
        loss.backward()
        optimizer.step()
        return True


def test_train_iter_goes_through_amp():
    model = make_model()
    opt = paddle.optimizer.Adam(
        1e-3, parameters=model.nets['generator'].parameters())
    model.bind_run(amp=RecordingAmp())  # as ExtTrainer does
    data, _ = batch()
    model.setup_input(data)
    before = model.nets['generator'].out_conv.conv.weight.numpy().copy()
    model.train_iter({'optim': opt})
    calls = model.amp.calls
    assert calls[0] == 'autocast' and calls[1][0] == 'step'
    assert calls[1][1] == pytest.approx(float(model.losses['loss_pixel']))
    after = model.nets['generator'].out_conv.conv.weight.numpy()
    assert not np.allclose(before, after)


class EchoGenerator(paddle.nn.Layer):
    """Returns its input and one attention map per call."""

    def forward(self, x, return_attention=False):
        att = paddle.nn.functional.sigmoid(x[:, :1, ::2, ::2] * 3)
        return (x, [att, att[:, :, ::2, ::2]]) if return_attention else x


def test_perfect_output_scores_inf_psnr_and_ssim_1():
    model = make_model()
    model.nets['generator'] = EchoGenerator()
    data, hr = batch()
    data['lq'] = data['gt']  # the "network" output is then exactly gt
    model.setup_input(data)
    metrics = {'fp': FacePSNR(), 'fs': FaceSSIM(),
               'p': PSNR(crop_border=0, test_y_channel=True),
               's': SSIM(crop_border=0, test_y_channel=True)}
    model.test_iter(metrics)
    # de-normalisation from [-1, 1] gives back the exact uint8 faces
    for img, ref in zip(model.to_images(model.output), hr):
        np.testing.assert_array_equal(img, ref)
    assert metrics['fp'].accumulate() >= 100
    assert metrics['p'].accumulate() >= 100
    assert metrics['fs'].accumulate() == pytest.approx(1.0)
    assert metrics['s'].accumulate() == pytest.approx(1.0)


def test_images_are_read_back_in_the_declared_range():
    # ppgan's BaseSRModel maps [0, 1] back to uint8; SPARNet's [-1, 1] data
    # read that way would not give the faces back
    model = make_model()
    assert model.value_range == (-1., 1.)
    model.nets['generator'] = EchoGenerator()
    data, hr = batch()
    data['lq'] = data['gt']
    model.setup_input(data)
    model.test_iter(None)
    np.testing.assert_array_equal(model.to_images(model.output)[0], hr[0])
    assert not np.array_equal(
        [tensor2img(x, (0., 1.)) for x in model.output][0], hr[0])


def test_attention_visuals_present_and_in_unit_interval():
    model = make_model(attention_visuals=[0, -1])
    data, _ = batch()
    model.setup_input(data)
    model.test_iter(None)
    maps = model.attention_maps
    assert len(maps) == 5  # every unit of the tiny net has attention
    for m in maps:
        v = m.numpy()
        assert v.min() > 0 and v.max() < 1
    visuals = model.get_current_visuals()
    assert list(visuals)[:4] == ['comparison', 'lq', 'gt', 'output']
    # LR | SR | HR | last attention map chosen, side by side
    strip = visuals['comparison'].numpy()
    assert strip.shape == (2, 3, 32, 128)
    np.testing.assert_array_equal(strip[..., 32:64], model.output.numpy())
    np.testing.assert_array_equal(strip[:, :1, :, 96:],
                                  visuals['attention_4'].numpy())
    assert sorted(k for k in visuals if k.startswith('attention_')) == \
        ['attention_0', 'attention_4']
    for k in ('attention_0', 'attention_4'):
        v = visuals[k].numpy()
        assert v.shape == (2, 1, 32, 32)
        # stored in the image range [-1, 1]: (v + 1) / 2 is the map
        unit = (v + 1) / 2
        assert unit.min() > 0 and unit.max() < 1
    full = maps[4].numpy().mean(axis=1, keepdims=True)
    np.testing.assert_allclose((visuals['attention_4'].numpy() + 1) / 2,
                               full, atol=1e-6)


def test_batch_without_gt_only_super_resolves():
    model = make_model(attention_visuals='all')
    data, _ = batch()
    model.setup_input(data)          # a batch with gt first ...
    model.test_iter(None)
    lr_only = {'lq': data['lq'], 'lq_path': data['lq_path']}
    model.setup_input(lr_only)       # ... then one without: no stale gt
    metric = FacePSNR()
    model.test_iter({'fp': metric})
    assert metric.count == 0
    visuals = model.get_current_visuals()
    assert 'gt' not in visuals and 'output' in visuals
    assert visuals['comparison'].shape == [2, 3, 32, 96]
    assert len([k for k in visuals if k.startswith('attention_')]) == 5


@pytest.mark.parametrize('kw, match', [({'attention_visuals': ['a']},
                                        'attention_visuals')])
def test_bad_arguments_name_the_argument(kw, match):
    with pytest.raises(ValueError, match=match):
        make_model(**kw)
