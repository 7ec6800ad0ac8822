"""Paired LR/HR folders for super-resolution, checked when the dataset loads.

ppgan's ``SRDataset`` only asserts that the two folders hold the same number
of files and that each LR path exists; a wrong scale, an empty or corrupt file,
an image smaller than the training crop or an empty folder surface later as a
traceback from OpenCV or Paddle. This subclass keeps its data layout and
output (``lq_path``/``gt_path`` dicts fed to the same preprocess pipelines)
and checks every pair up front, failing with a message that names the file.
Its pipeline runs without ppgan's printed tracebacks (see ``QuietCompose``).

PaddleGAN's own configs name ppgan's ``SRDataset`` and ``LoadImageFromFile``;
those names are given to :class:`CheckedSRDataset` and
:class:`CheckedLoadImageFromFile` (same arguments, same pairing and pixels),
so such configs get the same checks unchanged.
"""
import os

from ppgan.datasets.base_sr_dataset import SRDataset
from ppgan.datasets.builder import DATASETS
from ppgan.datasets.preprocess.builder import PREPROCESS
from ppgan.datasets.preprocess.io import LoadImageFromFile

from ..io.images import ImageReadError, image_size, list_images, read_image
from ..registry import register, replace
from .base import ClearErrorsMixin, DatasetError, QuietCompose

__all__ = ['SRFolderDataset', 'ReadImage', 'CheckedSRDataset',
           'CheckedLoadImageFromFile', 'DatasetError', 'check_sr_pairs',
           'crop_size_of']


def crop_size_of(preprocess):
    """``gt_patch_size`` of an ``SRPairedRandomCrop`` in a preprocess config
    (nested anywhere), else 0."""
    if isinstance(preprocess, dict):
        if preprocess.get('name') == 'SRPairedRandomCrop':
            return int(preprocess.get('gt_patch_size', 0))
        preprocess = list(preprocess.values())
    if isinstance(preprocess, (list, tuple)):
        return max([crop_size_of(p) for p in preprocess] + [0])
    return 0


def check_sr_pairs(lq_folder, gt_folder, scale, lq_upsampled=False,
                   filename_tmpl='{}', min_gt_size=0, recursive=False):
    """Pair every HR image with its LR one and check sizes against ``scale``.

    Returns ``[{'lq_path':..., 'gt_path':...}, ...]`` sorted by HR path.
    ``lq_upsampled``: LR inputs have the HR size (models that take an
    up-sampled input, e.g. SPARNet). ``min_gt_size``: smallest HR side
    allowed (the training crop). ``recursive``: HR images are also found in
    sub-folders (ppgan's ``SRDataset`` rule; the partner is still looked up
    by file name directly in ``lq_folder``). Raises :class:`DatasetError`.
    """
    try:
        gt_paths = list_images(gt_folder, 'HR (gt_folder)', recursive)
        lq_paths = list_images(lq_folder, 'LR (lq_folder)', recursive)
    except ImageReadError as e:
        raise DatasetError(str(e)) from None
    lq_set = set(lq_paths)
    infos, used = [], set()
    for gt_path in gt_paths:
        stem, ext = os.path.splitext(os.path.basename(gt_path))
        lq_path = os.path.join(lq_folder, filename_tmpl.format(stem) + ext)
        if lq_path not in lq_set:
            raise DatasetError(f'{gt_path}: no LR partner {lq_path} in '
                               f'lq_folder')
        used.add(lq_path)
        try:
            gw, gh = image_size(gt_path)
            lw, lh = image_size(lq_path)
        except ImageReadError as e:
            raise DatasetError(str(e)) from None
        if min(gw, gh) < min_gt_size:
            raise DatasetError(f'{gt_path}: HR image {gw}x{gh} is smaller '
                               f'than the training crop (gt_patch_size='
                               f'{min_gt_size})')
        want = (gw, gh) if lq_upsampled else (gw / scale, gh / scale)
        if (lw, lh) != want:
            raise DatasetError(
                f'{lq_path}: LR size {lw}x{lh} does not match HR {gt_path} '
                f'{gw}x{gh} at scale {scale}' +
                (' (lq_upsampled: LR must equal HR size)' if lq_upsampled
                 else f' (expected {gw / scale:g}x{gh / scale:g})'))
        infos.append(dict(lq_path=lq_path, gt_path=gt_path))
    orphans = sorted(lq_set - used)
    if orphans:
        raise DatasetError(f'{orphans[0]}: LR image has no HR partner in '
                           f'{gt_folder} ({len(orphans)} such file(s))')
    return infos


@register(DATASETS)
class SRFolderDataset(ClearErrorsMixin, SRDataset):
    """LR/HR folder pairs (same file names), validated on load.

    Args:
        lq_folder, gt_folder: folders of LR and HR images.
        preprocess: ppgan preprocess pipeline (as for ``SRDataset``).
        scale: HR size / LR size.
        filename_tmpl: LR file stem template, ``'{}'`` = same name as HR.
        lq_upsampled: LR images are already at HR size.

    Every HR image must be at least as large as the pipeline's
    ``SRPairedRandomCrop`` (checked on load, not mid-training).
    """

    recursive = False  # HR images only directly in gt_folder

    def __init__(self, lq_folder, gt_folder, preprocess, scale,
                 filename_tmpl='{}', lq_upsampled=False):
        self.lq_upsampled = lq_upsampled
        self.min_gt_size = crop_size_of(preprocess)
        super().__init__(lq_folder, gt_folder, preprocess, scale,
                         filename_tmpl)
        if getattr(self, 'preprocess', None) is not None:
            self.preprocess = QuietCompose(self.preprocess.functions)

    def prepare_data_infos(self):
        self.data_infos = check_sr_pairs(self.lq_folder, self.gt_folder,
                                         self.scale, self.lq_upsampled,
                                         self.filename_tmpl, self.min_gt_size,
                                         self.recursive)
        return self.data_infos


@replace(DATASETS, 'SRDataset')
class CheckedSRDataset(SRFolderDataset):
    """ppgan's ``SRDataset`` (same arguments) with :class:`SRFolderDataset`'s
    checks; configs name it ``SRDataset``.

    Files pair as in ppgan (HR images in sub-folders too, each LR partner by
    name directly in ``lq_folder``); a missing partner, an unreadable
    header, an LR size that does not fit ``scale`` or an HR image smaller
    than the training crop fails when the dataset is built, naming the file.
    """

    recursive = True

    def __init__(self, lq_folder, gt_folder, preprocess, scale,
                 filename_tmpl='{}'):
        super().__init__(lq_folder, gt_folder, preprocess, scale,
                         filename_tmpl)


@register(PREPROCESS)
class ReadImage:
    """Preprocess op: decode ``datas[key + '_path']`` into ``datas[key]``.

    Same contract as ppgan's ``LoadImageFromFile`` (HWC uint8, RGB by
    default) but grayscale/RGBA/16-bit inputs are normalised and a bad file
    raises :class:`ImageReadError` naming it (see ``image_io``).
    """

    def __init__(self, key='image', channels=3, to_rgb=True):
        self.key, self.channels, self.to_rgb = key, channels, to_rgb

    def __call__(self, datas):
        return _read_into(datas, self.key, self.channels, self.to_rgb)


def _read_into(datas, key, channels=3, to_rgb=True):
    path = str(datas[f'{key}_path'])
    img = read_image(path, channels=channels, to_rgb=to_rgb)
    datas[key] = img
    datas[f'{key}_path'] = path
    datas[f'{key}_ori_shape'] = img.shape
    return datas


@replace(PREPROCESS, 'LoadImageFromFile')
class CheckedLoadImageFromFile(LoadImageFromFile):
    """ppgan's ``LoadImageFromFile`` (same arguments) that names the file it
    cannot read; configs name it ``LoadImageFromFile``.

    With ppgan's default ``flag=-1`` the file is decoded as :class:`ReadImage`
    does: the same pixels as ppgan's OpenCV read for 8-bit colour images,
    and grayscale, RGBA or 16-bit files normalised as ReadImage does them
    (ppgan fails on grayscale with ``to_rgb`` and returns uint16 for 16-bit
    files). Other flags keep ppgan's OpenCV decoding of the checked file.
    """

    def __call__(self, datas):
        _read_into(datas, self.key, to_rgb=self.to_rgb)
        if self.flag != -1:
            return super().__call__(datas)
        if self.save_original_img:
            datas[f'ori_{self.key}'] = datas[self.key].copy()
        return datas
