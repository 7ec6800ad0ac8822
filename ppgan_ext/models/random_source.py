"""Where a model's training step gets its random numbers.

A model that draws during training (PGAN: latents, the gradient penalty's
mixing factors) asks its ``model.random`` instead of calling Paddle
directly, so a test can put recorded draws in their place (the training
parity tests replay the reference's) without patching Paddle. The default
draws from Paddle's global generator, whose state the Trainer saves in every
checkpoint, so ``--resume`` stays bit-identical.
"""
import paddle

__all__ = ['PaddleRandom']


class PaddleRandom:
    """Random tensors from Paddle's global generator."""

    def normal(self, shape, dtype='float32'):
        """Standard normal draws of ``shape``."""
        return paddle.randn(shape, dtype=dtype)

    def uniform(self, shape, dtype='float32'):
        """Uniform draws in [0, 1) of ``shape``."""
        return paddle.rand(shape, dtype=dtype)
