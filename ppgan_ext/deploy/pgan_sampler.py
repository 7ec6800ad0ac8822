"""Sample faces from a trained or converted PGAN generator.

The generator is built from the config's ``model.generator`` with as many
scales as the weights have (``model.depth_scales`` gives their depths) and
loaded with the EMA weights when the file has them. Latents come from a numpy
``RandomState(seed)``, so a seed always gives the same faces, and the same
faces as the Trainer's evaluation grid for its ``eval_seed``.

On CPU the generator runs by default as an export under Paddle Inference with
oneDNN, like ``SRPredictor`` (``engine``, ``precision``).
"""
import numpy as np
import paddle

from ..io.visuals import batch_to_uint8, make_grid
from ..tool_config import load_tool_config
from ..value_range import resolve_value_range
from .export import run_predictor
from .export_cache import cached_predictor
from .generator_weights import load_generator
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
        config: PGAN training config (path or loaded); None: the
            ``config.yaml`` of the weights' run folder.
        weights: ``.pdparams`` from training (``generator_ema`` is used when
            present) or from ``tools/convert_weights.py``.
        alpha: fade-in factor of the last scale (0: its own output).
        overrides: ``-o key=value`` strings applied to the config.
        engine: ``'auto'`` (Paddle Inference on CPU, dynamic graph on
            GPU/NPU), ``'inference'`` or ``'dynamic'``.
        precision: ``'auto'``, ``'fp32'`` or ``'bf16'`` (inference engine).
    """

    ENGINES = ('auto', 'dynamic', 'inference')

    def __init__(self, config, weights, alpha=0.0, overrides=None,
                 engine='auto', precision='auto', log=print):
        if engine not in self.ENGINES:
            raise ValueError(f'engine must be one of {self.ENGINES}, got '
                             f'{engine!r}')
        if engine == 'auto':
            engine = ('inference' if paddle.get_device() == 'cpu'
                      else 'dynamic')
        if isinstance(config, (str, type(None))):
            _, config = load_tool_config(config, overrides, weights)
        self.value_range = resolve_value_range(config)
        self.net, gen_cfg = load_generator(config, weights)
        if self.net.num_scales > 1:
            self.net.set_alpha(alpha)
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
            return batch_to_uint8(run_predictor(self._predictor, z),
                                  self.value_range)
        with paddle.no_grad():
            return batch_to_uint8(self.net(paddle.to_tensor(z)),
                                  self.value_range)

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
