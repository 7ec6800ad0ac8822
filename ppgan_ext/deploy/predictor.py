"""Super-resolve images with a trained or converted generator: ``ppgan_ext.predict``.

The generator is built from a training config (``model.generator``) and its
weights from a ``.pdparams`` file (the EMA copy when the file has one). The
pixel range is the model's own (``value_range``, see
``ppgan_ext.value_range``), so a tool's output equals the Trainer's
validation output for the same input. An optional ``inference`` section
says what the model needs beyond that::

    inference:
      pre_upsample: 8     # bicubic-upsample the input x8 first
      tile: 256           # default tile size in LR pixels (null: automatic)
      tile_overlap: 16

Face models (SPARNet, SPARNetHD: generators with ``in_size``) take faces of
their own size; SPARNet also takes its LR faces (``in_size / scale``, the
dataset's ``scale``), bicubic-upsampled first as its dataset does.

Large images run in overlapping tiles (see ``tiling``), so memory stays
flat; without ``tile`` an image whose activations would not fit in the
memory budget is tiled automatically (with a message).

On CPU the generator runs by default as an export under Paddle Inference
with oneDNN (``engine='auto'``): 7-13x faster than the dynamic graph here
(docs/deploy.md), equal to it within 1e-4 (tests/deploy/test_export.py). The
export is made at the first image and kept for later runs (``export_cache``).
"""
import glob
import logging
import os
import warnings

import numpy as np
import paddle

from ..config import ConfigError
from ..errors import UserError
from ..io.images import (IMAGE_EXTENSIONS, ImageReadError, bicubic_resize,
                         read_image, write_image)
from ..io.visuals import to_model_range, to_uint8
from ..output_paths import ensure_writable_dir
from ..progress import echo, progress, stages
from ..tool_config import load_tool_config
from ..value_range import describe, resolve_value_range, value_range_of
from .export import _in_channels, run_predictor
from .export_cache import cached_predictor
from .generator_weights import load_generator
from .precision import engine_precision
from .tiling import tiled_apply

__all__ = ['SRPredictor', 'predict', 'expand_inputs', 'InputSizeError']

logger = logging.getLogger('ppgan_ext')

# share of the available memory the untiled activations may take
MEMORY_BUDGET_FRACTION = 0.25


class InputSizeError(UserError, ValueError):
    """An image the model cannot take (size, channels)."""


def _available_memory():
    import psutil
    return psutil.virtual_memory().available


def _face_lr_scale(cfg):
    """The x factor of a face model's LR faces (its datasets' ``scale``)."""
    opts = cfg.get('inference') or {}
    if opts.get('pre_upsample'):
        return int(opts['pre_upsample'])
    for split in ('test', 'train'):
        block = (cfg.get('dataset') or {}).get(split) or {}
        if isinstance(block.get('scale'), int) and block['scale'] > 1:
            return block['scale']
    return None


class SRPredictor:
    """An image -> image generator with its pre/post-processing and tiling.

    Args:
        config: training config path (or a loaded config); None: the
            ``config.yaml`` of the weights' run folder.
        weights: ``.pdparams`` with ``generator``/``generator_ema`` weights.
        tile, tile_overlap: tiling in input pixels (override the config).
        engine: ``'dynamic'`` (dynamic graph), ``'inference'`` (export run
            by Paddle Inference, oneDNN on CPU) or ``'auto'``: inference on
            CPU, dynamic graph on GPU/NPU.
        overrides: ``-o key=value`` strings applied to the config.
        precision: ``'auto'``, ``'fp32'`` or ``'bf16'`` for the inference
            engine (see ``precision.resolve_precision``; ``log`` gets
            auto's choice); the dynamic graph runs fp32.
    """

    ENGINES = ('auto', 'dynamic', 'inference')

    def __init__(self, config, weights, tile=None, tile_overlap=None,
                 engine='auto', overrides=None, precision='auto', log=echo):
        if engine not in self.ENGINES:
            raise ValueError(f'engine must be one of {self.ENGINES}, got '
                             f'{engine!r}')
        self.fallback = engine == 'auto'  # to dynamic if the export fails
        if engine == 'auto':
            engine = 'inference' if paddle.get_device() == 'cpu' else \
                'dynamic'
        self.engine = engine
        self._predictor = None
        if isinstance(config, (str, type(None))):
            _, cfg = load_tool_config(config, overrides, weights)
        else:
            cfg = config
        if value_range_of(cfg['model']) is None:
            raise ConfigError(
                f"model {cfg['model'].get('name')}: declares no pixel range "
                '(value_range); the inference tools run the SR and face '
                'models of ppgan_ext and ppgan\'s SR models')
        self.value_range = resolve_value_range(cfg)
        self.net, self.generator_cfg = load_generator(cfg, weights)
        self.model_name = self.generator_cfg['name']
        opts = dict(cfg.get('inference') or {})
        self.in_size = getattr(self.net, 'in_size', None)
        self.pre_upsample = 1 if self.in_size else int(
            opts.get('pre_upsample', 1))
        self.lr_scale = _face_lr_scale(cfg) if self.in_size else None
        # a face model restores whole faces of its size: never tiled
        self.tile = None if self.in_size else (
            tile if tile is not None else opts.get('tile'))
        self.overlap = (tile_overlap if tile_overlap is not None else
                        opts.get('tile_overlap', 16))
        self.channels = _in_channels(self.net)
        self.scale, self._bytes_per_pixel = self._probe()
        self.precision = engine_precision(self.engine, precision,
                                          type(self.net).__name__, log)

    # -- running the network ---------------------------------------------
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
                with stages('Paddle Inference', 1, nested=True) as start:
                    start('export (once per weights)')
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

    def _probe(self):
        """``(scale, activation bytes per input pixel)``: face models from
        their sizes (no tiling); others from one small dynamic-graph run,
        taking the largest layer output as the live working set."""
        if self.in_size:
            out = getattr(self.net, 'out_size', self.in_size)
            return out // self.in_size, None
        side, largest = 32, [0]

        def record(layer, inputs, output):
            outs = output if isinstance(output, (tuple, list)) else [output]
            for o in outs:
                if isinstance(o, paddle.Tensor):
                    largest[0] = max(largest[0], int(np.prod(o.shape)))

        hooks = [layer.register_forward_post_hook(record)
                 for layer in self.net.sublayers()]
        try:
            out = self._run_dynamic(np.zeros((self.channels, side, side),
                                             np.float32))
        finally:
            for h in hooks:
                h.remove()
        # input, output and a concat or two in flight: 4 largest tensors
        return out.shape[-1] // side, 4 * 4 * largest[0] / side**2

    def auto_tile(self, h, w):
        """A tile size that keeps the activations of a tile within the
        memory budget, or None when the whole ``h`` x ``w`` image fits."""
        if self._bytes_per_pixel is None:
            return None
        budget = MEMORY_BUDGET_FRACTION * _available_memory()
        need = self._bytes_per_pixel * h * w
        if need <= budget:
            return None
        tile = int((budget / self._bytes_per_pixel) ** 0.5) - 2 * self.overlap
        tile = max(32, tile // 16 * 16)
        logger.info(f'{w}x{h} input: ~{need / 2**30:.1f} GB of activations '
                    f'untiled (budget {budget / 2**30:.1f} GB); running in '
                    f'{tile}x{tile} tiles (choose with --tile)')
        return tile

    # -- images ------------------------------------------------------------
    def _fit_face(self, image):
        """A face model's input: its own size as is; an LR face of
        ``in_size / lr_scale`` bicubic-upsampled first (as its dataset
        does); anything else is refused."""
        h, w = image.shape[:2]
        side = self.in_size
        if (h, w) == (side, side):
            return image
        lr = self.lr_scale
        if lr and (h, w) == (side // lr, side // lr):
            return bicubic_resize(image, (side, side))
        takes = f'{side}x{side} faces' + (
            f' (or {side // lr}x{side // lr} LR faces, up-sampled x{lr})'
            if lr else '')
        raise InputSizeError(
            f'{w}x{h} input: {self.model_name} restores {takes}; crop the '
            'face to that size, or use tools/enhance_faces.py for photos')

    def predict(self, image):
        """``uint8`` HWC RGB (or HW1) image -> super-resolved ``uint8`` HWC."""
        if image.ndim == 2:
            image = image[..., None]
        if image.shape[2] != self.channels:
            if self.channels == 3 and image.shape[2] == 1:
                image = np.repeat(image, 3, axis=2)
            else:
                raise InputSizeError(
                    f'image has {image.shape[2]} channels, the generator '
                    f'takes {self.channels}')
        if self.in_size:
            image = self._fit_face(image)
        elif self.pre_upsample > 1:
            h, w = image.shape[:2]
            image = bicubic_resize(image, (w * self.pre_upsample,
                                           h * self.pre_upsample))
        chw = to_model_range(image, self.value_range)
        tile = self.tile or self.auto_tile(*chw.shape[1:])
        out = tiled_apply(self._run, chw, self.scale, tile, self.overlap,
                          post=self._to_uint8)
        return np.ascontiguousarray(out.transpose(1, 2, 0))

    def _to_uint8(self, chw):
        # CHW out: tiled_apply stores tiles channel-first
        return to_uint8(chw, self.value_range).transpose(2, 0, 1)

    def predict_file(self, src, dst):
        """Read ``src`` (any format read_image accepts), write ``dst``."""
        img = read_image(src, channels=3 if self.channels == 3 else 1)
        try:
            out = self.predict(img)
        except InputSizeError as e:
            raise InputSizeError(f'{src}: {e}') from None
        write_image(dst, out)
        return dst

    def summary(self):
        return (f'{self.model_name} x{self.scale}, pixels in '
                f'{describe(self.value_range)}, engine {self.engine}')


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
            log=echo, engine='auto', overrides=None, precision='auto'):
    """Super-resolve files/folders/globs into ``out_dir`` (same file names);
    ``engine`` and ``precision`` as for :class:`SRPredictor`; ``config``
    None: the weights' run folder's ``config.yaml``.

    Unreadable files are reported and skipped. Returns ``(written,
    skipped)`` lists.
    """
    ensure_writable_dir(out_dir)
    predictor = SRPredictor(config, weights, tile, tile_overlap, engine,
                            overrides, precision, log)
    written, skipped = [], []
    for src in progress(expand_inputs(inputs), 'super-resolving',
                        unit='image'):
        dst = os.path.join(out_dir, os.path.basename(src))
        try:
            predictor.predict_file(src, dst)
            written.append(dst)
            log(f'{src} -> {dst}')
        except ImageReadError as e:
            skipped.append(str(e))
            log(f'skip: {e}')
    return written, skipped
