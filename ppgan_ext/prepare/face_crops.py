"""Face crops from folders of photos, for the face datasets
(``tools/prepare_faces.py``).

Each photo's faces are found with :class:`~ppgan_ext.faceutils.FaceDetector`
and written either aligned to a template (``align``: eyes level and at fixed
positions, see :mod:`ppgan_ext.faceutils.align`) or as a square around the
detector's box enlarged by a margin. Unreadable and faceless photos are
reported and skipped.
"""
import os
from dataclasses import dataclass

from ..faceutils import FaceDetector, align_face, crop_face
from ..progress import echo, progress

__all__ = ['FaceCropReport', 'write_face_crops']


@dataclass
class FaceCropReport:
    """What :func:`write_face_crops` did."""
    files: int = 0
    images: int = 0
    faces: int = 0
    skipped: list = None   # (path, reason) of bad or faceless inputs

    def __post_init__(self):
        self.skipped = [] if self.skipped is None else self.skipped

    def summary(self):
        bad = sum(1 for _, r in self.skipped if not r.startswith('no face'))
        faceless = len(self.skipped) - bad
        return (f'{self.files} file(s): {self.images} image(s) read, '
                f'{self.faces} face(s) written, '
                f'{faceless} without a face, {bad} unreadable')


def write_face_crops(paths, out, size=128, margin=0.25, already_cropped=False,
                     max_faces=1, detector=None, ext='.png', log=echo,
                     template=None):
    """Crop faces from ``paths`` into ``out`` as ``size`` x ``size`` images.

    ``already_cropped``: every input is a face; it is only centre-cropped to
    a square and resized. Otherwise up to ``max_faces`` detected faces per
    photo (largest first) are written as ``<stem>.png`` (the largest) and
    ``<stem>_face<k>.png``: aligned to ``template`` ('ffhq', 'celeba'; see
    :mod:`ppgan_ext.faceutils.align`) when given, else a square around the
    box enlarged by ``margin``. Unreadable and faceless inputs are reported
    and skipped. Returns a :class:`FaceCropReport`.
    """
    from ..datasets.face_transforms import square_resize
    from ..io.images import ImageReadError, read_image, write_image
    if not already_cropped and detector is None:
        detector = FaceDetector()
    report = FaceCropReport()
    for path in progress(paths, 'face crops', unit='photo'):
        report.files += 1
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            img = read_image(path)
        except ImageReadError as e:
            report.skipped.append((path, str(e)))
            log(f'skip: {e}')
            continue
        report.images += 1
        if already_cropped:
            write_image(os.path.join(out, stem + ext),
                        square_resize(img, size))
            report.faces += 1
            continue
        boxes = detector.detect(img)[:max(1, int(max_faces))]
        if not boxes:
            reason = f'no face found in {path}'
            report.skipped.append((path, reason))
            log(f'skip: {reason}')
            continue
        for k, box in enumerate(boxes):
            crop = (align_face(img, box.points, size, template)[0]
                    if template else crop_face(img, box, margin, size)[0])
            name = stem if k == 0 else f'{stem}_face{k}'
            write_image(os.path.join(out, name + ext), crop)
            report.faces += 1
    return report
