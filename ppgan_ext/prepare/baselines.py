"""Bicubic interpolation as the baseline every SR result is reported against."""
import numpy as np
from ppgan.metrics.psnr_ssim import calculate_psnr, calculate_ssim

from ..datasets.base import DatasetError
from ..datasets.face_sr_dataset import FaceSRDataset
from ..datasets.face_transforms import lr_from_hr
from ..datasets.sr_folder_dataset import check_sr_pairs
from ..io.images import bicubic_resize, read_image
from ..metrics.face_psnr_ssim import FacePSNR, FaceSSIM

__all__ = ['bicubic_baseline', 'face_bicubic_baseline']

SSIM_WINDOW = 11  # ppgan's calculate_ssim: 11x11 Gaussian window


def _check_size(img, crop, path):
    h, w = img.shape[:2]
    if min(h, w) - 2 * crop < SSIM_WINDOW:
        raise DatasetError(f'{path}: HR image {w}x{h} is too small for SSIM '
                           f'({SSIM_WINDOW}x{SSIM_WINDOW} window after '
                           f'cropping {crop} border pixels)')


def bicubic_baseline(lq_folder, gt_folder, scale, crop_border=None):
    """Mean PSNR/SSIM on Y (ppgan's functions) of bicubic-upscaled LR vs HR.

    Returns ``{'psnr': float, 'ssim': float, 'images': n}``.
    """
    crop = scale if crop_border is None else crop_border
    psnrs, ssims = [], []
    for pair in check_sr_pairs(lq_folder, gt_folder, scale):
        gt = read_image(pair['gt_path'])
        _check_size(gt, crop, pair['gt_path'])
        up = bicubic_resize(read_image(pair['lq_path']),
                            (gt.shape[1], gt.shape[0]))
        psnrs.append(calculate_psnr(up, gt, crop, test_y_channel=True))
        ssims.append(calculate_ssim(up, gt, crop, test_y_channel=True))
    return {'psnr': float(np.mean(psnrs)), 'ssim': float(np.mean(ssims)),
            'images': len(psnrs)}


def face_bicubic_baseline(folder, gt_size=128, scale=8, metrics=None):
    """Scores of the bicubic input itself (LR up-sampled) against the HR faces.

    ``metrics``: dict name -> metric object with ``update(preds, gts)`` and
    ``accumulate()`` (default: FacePSNR and FaceSSIM). Returns name -> value.
    """
    if metrics is None:
        metrics = {'face_psnr': FacePSNR(), 'face_ssim': FaceSSIM()}
    data = FaceSRDataset(folder, gt_size=gt_size, scale=scale)
    for path in data.paths:
        hr = data.hr_face(path)
        _, up = lr_from_hr(hr, scale)
        for m in metrics.values():
            m.update([up], [hr])
    return {name: float(m.accumulate()) for name, m in metrics.items()}
