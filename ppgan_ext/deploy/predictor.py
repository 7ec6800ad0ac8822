"""Super-resolve images with a trained or converted generator: ``ppgan_ext.predict``.

The generator is built from a training config (``model.generator``) and its
weights from a ``.pdparams`` file (the EMA copy when the file has one). The
pre/post-processing follows the config: the ``Normalize`` op of the test
pipeline gives the input range, and an optional ``inference`` section says
what the model needs beyond that::

    inference:
      pre_upsample: 8     # SPARNet: bicubic-upsample the LR face x8 first
      tile: 256           # default tile size in LR pixels (null: whole image)
      tile_overlap: 16

Large images run in overlapping tiles (see ``tiling``), so memory stays flat.

On CPU the generator runs by default as an export under Paddle Inference
with oneDNN (``engine='auto'``): 7-13x faster than the dynamic graph here
(docs/deploy.md), equal to it within 1e-4 (tests/deploy/test_export.py). The
export is made at the first image and kept for later runs (``export_cache``).
"""
import glob
import os
import warnings

import numpy as np
import paddle
from ppgan.models.generators.builder import build_generator

from ..config import load_config
from ..datasets.degradations import bicubic_resize
from ..datasets.image_io import IMAGE_EXTENSIONS, ImageReadError, read_image
from ..datasets.pairs_writer import write_image
from .export import _in_channels, run_predictor
from .export_cache import cached_predictor
from .generator_weights import load_generator_weights, read_generator_weights
from .precision import engine_precision
from .tiling import tiled_apply

__all__ = ['SRPredictor', 'predict', 'expand_inputs']


def _find_normalize(node):
    if isinstance(node, dict):
        if node.get('name') == 'Normalize':
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            found = _find_normalize(item)
            if found:
                return found
    return None


class SRPredictor:
    """An image -> image generator with its pre/post-processing and tiling.

    Args:
        config: training config path (or a loaded config).
        weights: ``.pdparams`` with ``generator``/``generator_ema`` weights.
        tile, tile_overlap: tiling in input pixels (override the config).
        engine: ``'dynamic'`` (dynamic graph), ``'inference'`` (export run
            by Paddle Inference, oneDNN on CPU) or ``'auto'``: inference on
            CPU, dynamic graph on GPU/NPU.
        precision: ``'auto'``, ``'fp32'`` or ``'bf16'`` for the inference
            engine (see ``precision.resolve_precision``; ``log`` gets
            auto's choice); the dynamic graph runs fp32.
    """

    ENGINES = ('auto', 'dynamic', 'inference')

    def __init__(self, config, weights, tile=None, tile_overlap=None,
                 engine='auto', precision='auto', log=print):
        if engine not in self.ENGINES:
            raise ValueError(f'engine must be one of {self.ENGINES}, got '
                             f'{engine!r}')
        self.fallback = engine == 'auto'  # to dynamic if the export fails
        if engine == 'auto':
            engine = 'inference' if paddle.get_device() == 'cpu' else \
                'dynamic'
        self.engine = engine
        self._predictor = None
        cfg = load_config(config) if isinstance(config, str) else config
        self.generator_cfg = dict(cfg['model']['generator'])
        self.net = build_generator(dict(self.generator_cfg))
        name, state = read_generator_weights(weights)
        load_generator_weights(self.net, state, f'{weights}: {name}')
        self.net.eval()
        test = cfg.get('dataset', {}).get('test', {})
        norm = _find_normalize(test) or {'mean': [0.0] * 3,
                                         'std': [255.0] * 3}
        self.mean = np.array(norm['mean'], np.float32).reshape(-1, 1, 1)
        self.std = np.array(norm['std'], np.float32).reshape(-1, 1, 1)
        opts = dict(cfg.get('inference') or {})
        self.pre_upsample = int(opts.get('pre_upsample', 1))
        self.tile = tile if tile is not None else opts.get('tile')
        self.overlap = (tile_overlap if tile_overlap is not None else
                        opts.get('tile_overlap', 16))
        self.channels = _in_channels(self.net)
        self.scale = self._measure_scale()
        self.precision = engine_precision(self.engine, precision,
                                          type(self.net).__name__, log)

    def _run_dynamic(self, chw):
        with paddle.no_grad():
            out = self.net(paddle.to_tensor(chw[None]))
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.numpy()[0]

    def _run(self, chw):
        if self.engine == 'dynamic':
            return self._run_dynamic(chw)
        if self._predictor is None:
            try:
                self._predictor = self._make_predictor()
            except Exception as e:  # e.g. a generator to_static cannot trace
                if not self.fallback:
                    raise
                warnings.warn(f'{type(self.net).__name__}: export for Paddle '
                              f'Inference failed ({type(e).__name__}: '
                              f'{str(e)[:200]}); running the dynamic graph')
                self.engine = 'dynamic'
                return self._run_dynamic(chw)
        return run_predictor(self._predictor, chw[None])[0]

    def _make_predictor(self):
        return cached_predictor(self.net, self.generator_cfg, self.precision)

    def _measure_scale(self):
        sizes = (getattr(self.net, 'in_size', None),
                 getattr(self.net, 'out_size', None))
        if all(isinstance(s, int) and s > 0 for s in sizes):
            return sizes[1] // sizes[0]  # face models: too deep for a probe
        probe = np.zeros((self.channels, 16, 16), np.float32)
        return self._run_dynamic(probe).shape[-1] // 16

    def predict(self, image):
        """``uint8`` HWC RGB (or HW1) image -> super-resolved ``uint8`` HWC."""
        if image.ndim == 2:
            image = image[..., None]
        if image.shape[2] != self.channels:
            if self.channels == 3 and image.shape[2] == 1:
                image = np.repeat(image, 3, axis=2)
            else:
                raise ValueError(f'image has {image.shape[2]} channels, the '
                                 f'generator takes {self.channels}')
        if self.pre_upsample > 1:
            h, w = image.shape[:2]
            image = bicubic_resize(image, (w * self.pre_upsample,
                                           h * self.pre_upsample))
        chw = (image.transpose(2, 0, 1).astype(np.float32) - self.mean) \
            / self.std
        out = tiled_apply(self._run, chw, self.scale, self.tile, self.overlap,
                          post=self._to_uint8)
        return np.ascontiguousarray(out.transpose(1, 2, 0))

    def _to_uint8(self, chw):
        return np.clip(np.round(chw * self.std + self.mean), 0,
                       255).astype(np.uint8)

    def predict_file(self, src, dst):
        """Read ``src`` (any format read_image accepts), write ``dst``."""
        img = read_image(src, channels=3 if self.channels == 3 else 1)
        write_image(dst, self.predict(img))
        return dst


def expand_inputs(inputs):
    """Files, folders (their images) and globs -> sorted list of files."""
    files = []
    for item in inputs:
        if os.path.isdir(item):
            files += [os.path.join(item, n) for n in sorted(os.listdir(item))
                      if n.lower().endswith(IMAGE_EXTENSIONS)]
        elif any(ch in item for ch in '*?['):
            files += sorted(glob.glob(item))
        elif os.path.exists(item):
            files.append(item)
        else:
            raise ImageReadError(f'{item}: no such file, folder or glob match')
    if not files:
        raise ImageReadError(f'no images found in {list(inputs)}')
    return files


def predict(config, weights, inputs, out_dir, tile=None, tile_overlap=None,
            log=print, engine='auto', precision='auto'):
    """Super-resolve files/folders/globs into ``out_dir`` (same file names);
    ``engine`` and ``precision`` as for :class:`SRPredictor`.

    Unreadable files are reported and skipped. Returns ``(written,
    skipped)`` lists.
    """
    predictor = SRPredictor(config, weights, tile, tile_overlap, engine,
                            precision, log)
    written, skipped = [], []
    for src in expand_inputs(inputs):
        dst = os.path.join(out_dir, os.path.basename(src))
        try:
            predictor.predict_file(src, dst)
            written.append(dst)
            log(f'{src} -> {dst}')
        except ImageReadError as e:
            skipped.append(str(e))
            log(f'skip: {e}')
    return written, skipped
