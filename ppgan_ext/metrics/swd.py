"""Sliced Wasserstein distance between Laplacian-pyramid patch statistics.

The protocol of Karras et al., "Progressive Growing of GANs" (2018), sec. 5:

* each image's Laplacian pyramid runs from full resolution down to
  ``min_resolution`` (16 px), halving each level with the 5x5 binomial
  kernel ``[1 4 6 4 1]^T [1 4 6 4 1] / 256`` and mirror (non-edge-repeating)
  borders, as OpenCV's ``pyrDown``/``pyrUp``; the coarsest level is the
  low-pass image itself;
* ``patches_per_image`` (128) random 7x7 neighbourhoods per image and level
  become 7*7*C descriptors;
* every descriptor set is normalised per colour channel to zero mean and unit
  standard deviation (each set with its own statistics);
* per level, the distance is the mean over ``dir_repeats`` (4) x
  ``dirs_per_repeat`` (128) random unit directions of the mean absolute
  difference of the sorted projections; values are reported x1e3.

Patch positions are drawn from a random generator seeded by ``seed`` and a
hash of each image's content, so the result does not depend on image order,
batching or how a set is sharded across ranks, and identical sets score
exactly 0.
"""

import hashlib
from collections import OrderedDict

import numpy as np
import paddle
from ppgan.metrics.builder import METRICS

from ..config import ConfigError
from ..progress import progress
from ..registry import register

_BINOMIAL = np.array([1., 4., 6., 4., 1.], dtype=np.float32) / 16.0


def to_nchw_numpy(images, arg_name='images'):
    """Return float32 NCHW numpy from an NCHW array/tensor or HWC list.

    Accepts a 4-D ``paddle.Tensor`` / ndarray in NCHW layout, or a list /
    tuple of HxWxC arrays (what ``ppgan.utils.visual.tensor2img`` yields).
    Values are not rescaled.
    """
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError(f"{arg_name} is an empty list")
        arrays = [np.asarray(im.numpy() if isinstance(im, paddle.Tensor)
                             else im) for im in images]
        if any(a.ndim != 3 for a in arrays):
            raise ValueError(
                f"{arg_name}: list entries must be HxWxC images, got shapes "
                f"{sorted({a.shape for a in arrays})}")
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(
                f"{arg_name}: all images must share one shape, got "
                f"{sorted({a.shape for a in arrays})}")
        return np.stack(arrays).transpose(0, 3, 1, 2).astype(np.float32)
    if isinstance(images, paddle.Tensor):
        images = images.numpy()
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{arg_name} must be an NCHW batch or a list of HxWxC images, got "
            f"an array of shape {images.shape}")
    return images.astype(np.float32)


def _binomial_blur(x):
    """5x5 binomial filter over the last two axes with mirror borders."""
    for axis in (-2, -1):
        n = x.shape[axis]
        pad = [(0, 0)] * x.ndim
        pad[axis] = (2, 2)
        padded = np.pad(x, pad, mode='reflect')
        acc = np.zeros_like(x)
        for k, w in enumerate(_BINOMIAL):
            index = [slice(None)] * x.ndim
            index[axis] = slice(k, k + n)
            acc += w * padded[tuple(index)]
        x = acc
    return x


def _pyr_down(x):
    return _binomial_blur(x)[..., ::2, ::2]


def _pyr_up(x):
    n, c, h, w = x.shape
    up = np.zeros((n, c, 2 * h, 2 * w), dtype=x.dtype)
    up[..., ::2, ::2] = x
    return 4.0 * _binomial_blur(up)


def laplacian_pyramid(images, num_levels):
    """List of ``num_levels`` NCHW arrays, finest band first, low-pass last."""
    levels = [images]
    for _ in range(num_levels - 1):
        low = _pyr_down(levels[-1])
        levels[-1] = levels[-1] - _pyr_up(low)
        levels.append(low)
    return levels


def _image_rng(image, seed):
    digest = hashlib.blake2b(np.ascontiguousarray(image).tobytes(),
                             digest_size=16).digest()
    words = np.frombuffer(digest, dtype=np.uint32).tolist()
    return np.random.default_rng([seed] + words)


def _normalise(desc):
    """Per-channel standardisation of an (M, C, p, p) descriptor set."""
    desc = desc.astype(np.float64)
    mean = desc.mean(axis=(0, 2, 3), keepdims=True)
    std = desc.std(axis=(0, 2, 3), keepdims=True)
    std[std < 1e-12] = 1.0
    return ((desc - mean) / std).reshape(desc.shape[0], -1).astype(np.float32)


def sliced_wasserstein(a, b, rng, dir_repeats=4, dirs_per_repeat=128):
    """Mean 1-D Wasserstein distance of ``a``/``b`` (M, D) along random dirs."""
    if a.shape != b.shape:
        raise ValueError(
            f"descriptor sets must have equal shapes, got {a.shape} and "
            f"{b.shape}")
    results = []
    for _ in range(dir_repeats):
        dirs = rng.standard_normal((a.shape[1], dirs_per_repeat))
        dirs /= np.sqrt(np.sum(dirs**2, axis=0, keepdims=True))
        dirs = np.ascontiguousarray(dirs.T, dtype=np.float32)
        # (direction, descriptor): sorting contiguous rows is much faster
        proj_a = np.sort(dirs @ a.T, axis=1)
        proj_b = np.sort(dirs @ b.T, axis=1)
        results.append(np.mean(np.abs(proj_a - proj_b), dtype=np.float64))
    return float(np.mean(results))


@register(METRICS)
class LaplacianSWD(paddle.metric.Metric):
    """Laplacian-pyramid sliced Wasserstein distance (x1e3), PGAN protocol.

    ``update(fake_images, real_images)`` takes NCHW arrays/tensors (any value
    range, e.g. a generator's [-1, 1] output; per-channel normalisation makes
    the score invariant to it) or lists of HxWxC images. ``accumulate()``
    returns the mean over levels; ``per_level()`` maps each level's
    resolution (finest first) to its distance. The two sets must end up with
    the same number of images.

    Args:
        num_levels: pyramid depth; ``None`` halves down to ``min_resolution``.
        min_resolution: smallest side of the coarsest level when
            ``num_levels`` is ``None`` (16 in the paper).
        patch_size: side of the neighbourhood descriptors (7).
        patches_per_image: descriptors drawn per image and level (128).
        dir_repeats: repeats of the random projection draw (4).
        dirs_per_repeat: random directions per repeat (128).
        seed: seed of patch positions and projection directions.
    """

    def __init__(self,
                 num_levels=None,
                 min_resolution=16,
                 patch_size=7,
                 patches_per_image=128,
                 dir_repeats=4,
                 dirs_per_repeat=128,
                 seed=0):
        for key, value in (('min_resolution', min_resolution),
                           ('patch_size', patch_size),
                           ('patches_per_image', patches_per_image),
                           ('dir_repeats', dir_repeats),
                           ('dirs_per_repeat', dirs_per_repeat)):
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{key} must be a positive int, got {value!r}")
        if not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {seed!r}")
        if num_levels is not None and (not isinstance(num_levels, int)
                                       or num_levels < 1):
            raise ConfigError(
                f"num_levels must be None or a positive int, got "
                f"{num_levels!r}")
        self.num_levels = num_levels
        self.min_resolution = min_resolution
        self.patch_size = patch_size
        self.patches_per_image = patches_per_image
        self.dir_repeats = dir_repeats
        self.dirs_per_repeat = dirs_per_repeat
        self.seed = seed
        self.reset()

    def reset(self):
        self._levels = self.num_levels
        self._image_hw = None
        self._fake = []  # per level: list of (M, C, p, p) arrays
        self._real = []
        self._result = None

    def _resolve_levels(self, h, w):
        if self._image_hw is None:
            levels = self._levels
            if levels is None:
                levels, side_h, side_w = 1, h, w
                while (side_h % 2 == 0 and side_w % 2 == 0
                       and min(side_h, side_w) // 2 >= self.min_resolution):
                    side_h, side_w, levels = side_h // 2, side_w // 2, levels + 1
            factor = 2**(levels - 1)
            if h % factor or w % factor:
                raise ValueError(
                    f"num_levels={levels} needs image sides divisible by "
                    f"{factor}, got {h}x{w}")
            if min(h, w) // factor < max(self.patch_size, 3):
                raise ValueError(
                    f"num_levels={levels} leaves a {h // factor}x"
                    f"{w // factor} coarsest level, smaller than patch_size="
                    f"{self.patch_size}")
            self._levels, self._image_hw = levels, (h, w)
            self._fake = [[] for _ in range(levels)]
            self._real = [[] for _ in range(levels)]
        elif (h, w) != self._image_hw:
            raise ValueError(
                f"all images must share one size: got {h}x{w} after "
                f"{self._image_hw[0]}x{self._image_hw[1]}")

    def _descriptors(self, images):
        n, c = images.shape[:2]
        p, k = self.patch_size, self.patches_per_image
        pyramid = laplacian_pyramid(images, self._levels)
        rngs = [_image_rng(im, self.seed) for im in images]
        offs = np.arange(p)
        out = []
        for level in pyramid:
            h, w = level.shape[2:]
            ys = np.stack([r.integers(0, h - p + 1, size=k) for r in rngs])
            xs = np.stack([r.integers(0, w - p + 1, size=k) for r in rngs])
            rows = (ys[:, :, None] + offs)[:, :, None, :, None]
            cols = (xs[:, :, None] + offs)[:, :, None, None, :]
            img = np.arange(n)[:, None, None, None, None]
            chan = np.arange(c)[None, None, :, None, None]
            out.append(level[img, chan, rows, cols].reshape(n * k, c, p, p))
        return out

    def update(self, fake_images, real_images):
        """Add a batch of generated and of real images (see class doc)."""
        fake = to_nchw_numpy(fake_images, 'fake_images')
        real = to_nchw_numpy(real_images, 'real_images')
        if fake.shape[1:] != real.shape[1:]:
            raise ValueError(
                f"fake_images and real_images must have the same CxHxW, got "
                f"{fake.shape[1:]} and {real.shape[1:]}")
        self._resolve_levels(*fake.shape[2:])
        for store, batch in ((self._fake, fake), (self._real, real)):
            for dest, desc in zip(store, self._descriptors(batch)):
                dest.append(desc)
        self._result = None

    def _gathered(self):
        """(image_hw, fake levels, real levels) merged over all ranks."""
        local = (self._image_hw,
                 [np.concatenate(d) for d in self._fake],
                 [np.concatenate(d) for d in self._real])
        if paddle.distributed.get_world_size() <= 1:
            return local
        shards = []
        paddle.distributed.all_gather_object(shards, local)
        shards = [s for s in shards if s[0] is not None]
        if not shards:
            return None, [], []
        if len({s[0] for s in shards}) != 1 or len({len(s[1])
                                                    for s in shards}) != 1:
            raise ValueError(
                "ranks disagree on image size or pyramid depth: "
                f"{[(s[0], len(s[1])) for s in shards]}")

        def merge(k):
            return [np.concatenate([s[k][i] for s in shards])
                    for i in range(len(shards[0][k]))]

        return shards[0][0], merge(1), merge(2)

    def per_level(self):
        """OrderedDict ``{resolution: SWD x1e3}``, finest level first."""
        if self._result is None:
            image_hw, fake, real = self._gathered()
            rng = np.random.default_rng(self.seed)
            result = OrderedDict()
            for i, (f, r) in enumerate(progress(
                    list(zip(fake, real)), 'SWD levels', unit='level')):
                if f.shape[0] != r.shape[0]:
                    raise ValueError(
                        "LaplacianSWD needs as many fake as real images, got "
                        f"{f.shape[0] // self.patches_per_image} fake and "
                        f"{r.shape[0] // self.patches_per_image} real")
                dist = sliced_wasserstein(_normalise(f), _normalise(r), rng,
                                          self.dir_repeats,
                                          self.dirs_per_repeat)
                result[image_hw[0] // 2**i] = 1e3 * dist
            self._result = result
        return OrderedDict(self._result)

    def accumulate(self):
        """Mean SWD x1e3 over pyramid levels (nan before any update)."""
        levels = self.per_level()
        if not levels:
            return float('nan')
        return float(np.mean(list(levels.values())))

    input_kind = 'tensors'

    @property
    def min_side(self):
        """The coarsest pyramid level must hold one descriptor patch."""
        return max(self.patch_size, 3)

    def name(self):
        return 'LaplacianSWD'
