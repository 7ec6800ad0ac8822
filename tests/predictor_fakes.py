"""Test-only generators and configs for the inference tests.

Imported (never collected) as ``tests.predictor_fakes`` so each class is
registered exactly once.
"""
import paddle
import yaml

import ppgan_ext  # noqa: F401
from ppgan.models.generators.builder import GENERATORS
from ppgan_ext.modules.ops import upsample_nearest
from ppgan_ext.registry import register


@register(GENERATORS)
class NearestX2ForTests(paddle.nn.Layer):
    """Parameter-free x2 nearest up-sampler: output pixels = input pixels."""

    def __init__(self):
        super().__init__()
        self.probe = paddle.nn.Conv2D(3, 3, 1)  # for the channel count

    def forward(self, x):
        return upsample_nearest(x, 2)


def write_config(tmp_path, generator, model='ExtSRModel'):
    """A config for the tools: ``model`` (its class declares the pixel
    range: ExtSRModel [0, 1], SPARNetModel [-1, 1]) with ``generator``."""
    cfg = {'model': {'name': model, 'generator': generator}}
    path = tmp_path / 'cfg.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)




@register(GENERATORS)
class InvertFacesForTests(paddle.nn.Layer):
    """Same-size 'restorer' that inverts its input: makes changes visible."""

    def __init__(self, in_size=32):
        super().__init__()
        self.in_size = in_size
        self.probe = paddle.nn.Conv2D(3, 3, 1)

    def forward(self, x):
        return -x
