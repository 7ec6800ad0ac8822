"""PGAN trains step for step like pytorch_GAN_zoo's ``ProgressiveGAN``
(cases ``train_pgan_s1_a05`` and ``_ema05``: scale 1, fade-in alpha 0.5,
WGAN-GP + drift summed over the batch, Adam 1e-3 / (0, 0.99), EMA after the
generator step), with the recorded latents and gradient-penalty factors
given through the model's random source (``model.random``)."""
import numpy as np
import paddle
import pytest

from tests.train_parity import Case, config_model, train_and_check

LOSSES = {'lossD_real': 'D_real', 'lossD_fake': 'D_fake',
          'lossD_Grad': 'D_gp', 'lossD_Epsilon': 'D_drift', 'lossD': 'D',
          'lossG_fake': 'G', 'lossG': 'G'}
NETS = {'generator': 'G', 'discriminator': 'D', 'generator_ema': 'avgG'}
# scale 1 from iteration 2; alpha 1 for 3 iterations there, then 0.5 for
# the next 3: iterations 5, 6, 7 are the case's 1, 2, 3
SCHEDULE = ['model.generator.latent_dim=16', 'model.depth_scales=[16, 8]',
            'model.max_iter_at_scale=[1, 100]', 'model.alpha_n_jumps=[0, 2]',
            'model.alpha_size_jumps=[0, 3]']
FIRST_ITER = 5


class RecordedDraws:
    """A random source that hands out one iteration's recorded draws, in
    the reference's order, checking what is asked for."""

    def __init__(self, draws, step):
        self.queue = [('normal', draws[f'z_d_step{step}']),
                      ('uniform', draws[f'gp_eps_step{step}']),
                      ('normal', draws[f'z_g_step{step}'])]

    def normal(self, shape, dtype='float32'):
        return self._next('normal', shape, dtype)

    def uniform(self, shape, dtype='float32'):
        return self._next('uniform', shape, dtype)

    def _next(self, kind, shape, dtype):
        assert self.queue, f'an extra {kind} draw of shape {shape}'
        want, value = self.queue.pop(0)
        assert want == kind and value.size == int(np.prod(shape)), (
            f'asked for {kind} {shape}, the reference drew {want} '
            f'{value.shape} here')
        return paddle.to_tensor(value.reshape(shape)).astype(dtype)


@pytest.mark.parametrize('name', ['train_pgan_s1_a05',
                                  'train_pgan_s1_a05_ema05'])
def test_train_pgan_matches_the_reference(name):
    case = Case(name)
    decay = case.json['model']['ema_decay']
    _, model = config_model('pgan.yaml',
                            SCHEDULE + [f'model.ema_decay={decay}'])
    model.grow_to(1)  # the case's nets are at scale 1
    draws = []

    def before(step):
        model.random = RecordedDraws(case.draws, step)
        draws.append(model.random)

    train_and_check(case, model, NETS, {'img': case.batch['img']}, LOSSES,
                    before, first_iter=FIRST_ITER)
    assert model.alpha == 0.5 and model.scale == 1
    assert all(not d.queue for d in draws)  # every draw was used
