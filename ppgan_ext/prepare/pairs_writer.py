"""Write the paired folders an SR config reads, from a folder of HR images.

Layout (the animeSR one, used by every SR config of the plugin)::

    OUT/<split>          HR images, mod-cropped to a multiple of every scale
    OUT/<split>_X<s>     LR images for scale s, same file names

Bad input files are reported and skipped; each output file is written to a
temporary name and renamed, so an interrupted run leaves no partial image.
"""
import math
import os
from dataclasses import dataclass, field

from ..datasets.degradations import DEGRADATIONS, mod_crop
from ..datasets.sr_folder_dataset import check_sr_pairs
from ..io.images import ImageReadError, list_images, read_image, write_image
from ..progress import echo, progress

__all__ = ['PairReport', 'write_pairs']


@dataclass
class PairReport:
    """What :func:`write_pairs` did: pairs written per scale, files skipped."""
    written: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def summary(self):
        parts = [f'x{s}: {n} pairs' for s, n in sorted(self.written.items())]
        text = ', '.join(parts) or 'nothing written'
        if self.skipped:
            text += f'; skipped {len(self.skipped)} bad file(s)'
        return text


def write_pairs(hr_folder, out_root, split='train', scales=(4, ),
                degradation='bicubic', ext='.png', log=echo, **deg_kwargs):
    """Degrade every image of ``hr_folder`` for each scale; then verify.

    ``degradation`` is one of ``bicubic``, ``blur`` (nearest + Gaussian blur;
    ``kernel_size``, ``sigma``) or ``downup`` (LR up-sampled back to HR size).
    Returns a :class:`PairReport`.
    """
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation '{degradation}' is not one of "
                         f'{sorted(DEGRADATIONS)}')
    scales = [int(s) for s in scales]
    if not scales or min(scales) < 1:
        raise ValueError(f'scales must be positive integers, got {scales}')
    degrade = DEGRADATIONS[degradation]
    modulus = math.lcm(*scales)
    report = PairReport(written={s: 0 for s in scales})
    hr_out = os.path.join(out_root, split)
    for path in progress(list_images(hr_folder, 'HR folder'),
                         f'{split}: LR/HR pairs', unit='image'):
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            hr = mod_crop(read_image(path), modulus)
        except ImageReadError as e:
            report.skipped.append(str(e))
            log(f'skip: {e}')
            continue
        if min(hr.shape[:2]) < modulus:
            msg = (f'{path}: {hr.shape[1]}x{hr.shape[0]} is smaller than the '
                   f'scale modulus {modulus}')
            report.skipped.append(msg)
            log(f'skip: {msg}')
            continue
        lrs = {s: degrade(hr, s, **deg_kwargs) for s in scales}
        write_image(os.path.join(hr_out, stem + ext), hr)
        for s, lr in lrs.items():
            write_image(os.path.join(f'{hr_out}_X{s}', stem + ext), lr)
            report.written[s] += 1
    for s in scales:
        if report.written[s]:
            check_sr_pairs(f'{hr_out}_X{s}', hr_out, s,
                           lq_upsampled=(degradation == 'downup'))
    return report
