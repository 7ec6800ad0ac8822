"""Sample faces from a trained or converted PGAN generator.

The generator is built from the config's ``model.generator`` with as many
scales as the weights have (``model.depth_scales`` gives their depths) and
loaded with the EMA weights when the file has them. Latents come from a numpy
``RandomState(seed)``, so a seed always gives the same faces.

On CPU the generator runs by default as an export under Paddle Inference with
oneDNN, like ``SRPredictor`` (``engine``, ``precision``).
"""
import numpy as np
import paddle
from ppgan.models.generators.builder import build_generator

from ..config import load_config
from ..engine.checkpoint import WeightsMismatchError
from ..models.pgan_model import images_to_uint8, make_grid, scales_in_state
from .export import run_predictor
from .export_cache import cached_predictor
from .generator_weights import load_generator_weights, read_generator_weights
from .precision import engine_precision

__all__ = ['PGANSampler', 'slerp']


def slerp(a, b, t):
    """Spherical interpolation between latent vectors ``a`` and ``b``."""
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(
        omega)


class PGANSampler:
    """Draw images, grids and latent walks from PGAN weights.

    Args:
        config: PGAN training config (path or loaded).
        weights: ``.pdparams`` from training (``generator_ema`` is used when
            present) or from ``tools/convert_weights.py``.
        alpha: fade-in factor of the last scale (0: its own output).
        engine: ``'auto'`` (Paddle Inference on CPU, dynamic graph on
            GPU/NPU), ``'inference'`` or ``'dynamic'``.
        precision: ``'auto'``, ``'fp32'`` or ``'bf16'`` (inference engine).
    """

    ENGINES = ('auto', 'dynamic', 'inference')

    def __init__(self, config, weights, alpha=0.0, engine='auto',
                 precision='auto', log=print):
        if engine not in self.ENGINES:
            raise ValueError(f'engine must be one of {self.ENGINES}, got '
                             f'{engine!r}')
        if engine == 'auto':
            engine = ('inference' if paddle.get_device() == 'cpu'
                      else 'dynamic')
        cfg = load_config(config) if isinstance(config, str) else config
        name, state = read_generator_weights(weights)
        scales = scales_in_state(state)
        depths = list(cfg['model']['depth_scales'])
        if not 1 <= scales <= len(depths):
            raise WeightsMismatchError(f'{weights}: {scales} PGAN scales, '
                                       f'but model.depth_scales lists '
                                       f'{len(depths)}')
        gen_cfg = dict(cfg['model']['generator'], depths=depths[:scales])
        self.net = build_generator(gen_cfg)
        load_generator_weights(self.net, state, f'{weights}: {name}')
        if scales > 1:
            self.net.set_alpha(alpha)
        self.net.eval()
        self.latent_dim = self.net.latent_dim
        self.engine = engine
        self.precision = engine_precision(engine, precision, 'PGANGenerator',
                                          log)
        self._gen_cfg = dict(gen_cfg, alpha=self.net.alpha)  # export key
        self._predictor = None

    def latents(self, num, seed):
        return np.random.RandomState(seed).standard_normal(
            (num, self.latent_dim)).astype('float32')

    def generate(self, z):
        """Latents (N, latent_dim) -> list of HWC uint8 images."""
        if self.engine == 'inference':
            if self._predictor is None:
                self._predictor = cached_predictor(self.net, self._gen_cfg,
                                                   self.precision)
            return images_to_uint8(run_predictor(self._predictor, z))
        with paddle.no_grad():
            return images_to_uint8(self.net(paddle.to_tensor(z)))

    def sample(self, num, seed=0):
        return self.generate(self.latents(num, seed))

    def interpolate(self, seed_a, seed_b, steps=8):
        """Images along the spherical path between two seeds' latents."""
        a, b = self.latents(1, seed_a)[0], self.latents(1, seed_b)[0]
        z = np.stack([slerp(a, b, t) for t in np.linspace(0, 1, steps)])
        return self.generate(z.astype('float32'))

    @staticmethod
    def grid(images, cols=None, zoom=1):
        g = make_grid(images, cols)
        return np.repeat(np.repeat(g, zoom, 0), zoom, 1) if zoom > 1 else g
