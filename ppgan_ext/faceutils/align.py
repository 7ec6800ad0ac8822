"""Face crops aligned to a template, and pasting restored faces back.

:func:`align_face` fits the similarity transform (rotation, uniform scale,
shift; least squares, the nose weighted down: :data:`LANDMARK_WEIGHTS`)
that takes a face's 5 landmarks to a template's, and
warps the photo with it (bicubic, reflected border) into a ``size`` x
``size`` crop: eyes level and at fixed positions, whatever the face's size,
position or in-plane rotation. :func:`paste_faces` undoes it: each restored
crop is warped back by the inverse transform (onto a photo upscaled ``scale``
times if asked) and blended through a feathered mask; pixels the masks do
not reach are exactly the photo's.

Templates (5 points in dlib's order, unit-square coordinates: (0, 0) is the
crop's top-left corner, (1, 1) its bottom-right):

* ``ffhq`` -- where the 5 points fall in FFHQ-aligned crops, measured on
  real faces (see :mod:`.template`): eye centres at (0.378, 0.475) and
  (0.622, 0.475), i.e. at 512 px (193.6, 243.2) and (318.4, 243.2), the
  positions of the FFHQ eye-centre template GFPGAN-era tools use, (0.377,
  0.469) and (0.623, 0.469), within 3 px. For SPARNetHD (512).
* ``celeba`` -- a tight crop, forehead to chin, as the CelebA / Helen face
  crops SPARNet (128) is trained and tested on: ``ffhq`` magnified 1.4
  times about (0.5, 0.575). Zoom and centre fit the 5 points of the LFW
  crops scikit-image ships (the demo SPARNet's faces): eyes at height 0.360
  (LFW: 0.355), outer eye corners 0.475 apart (0.48), nose base at 0.616
  (0.611).

Crops that shrink the face by more than 2x are first reduced with area
averaging, so they do not alias.
"""
import cv2
import numpy as np

from ..io.images import bicubic_resize

__all__ = ['TEMPLATES', 'LANDMARK_WEIGHTS', 'default_template',
           'template_points', 'fit_similarity', 'align_face', 'crop_face',
           'feather_mask', 'paste_faces']

_FFHQ = np.array([[0.6695, 0.4740], [0.5743, 0.4759], [0.3305, 0.4740],
                  [0.4257, 0.4759], [0.5000, 0.6575]])
TEMPLATES = {
    'ffhq': _FFHQ,
    'celeba': (_FFHQ - [0.5, 0.575]) * 1.4 + 0.5,
}
# The base of the nose moves 2-3 times more than the eye corners from face
# to face (std 0.020 vs 0.006-0.012 of the crop side where the template was
# measured), so it counts a quarter in the fit: the eyes come out level
# within 1.5 px at 512 where an unweighted fit leaves up to 2.2 px.
LANDMARK_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.25)


def default_template(size):
    """'ffhq' for SPARNetHD-sized crops (>= 256 px), else 'celeba'."""
    return 'ffhq' if size >= 256 else 'celeba'


def template_points(template, size):
    """(5, 2) pixel coordinates (pixel centres at integers) of a template
    name or (5, 2) unit-square array in a ``size`` x ``size`` crop."""
    if isinstance(template, str):
        if template not in TEMPLATES:
            raise ValueError(f"template '{template}': expected one of "
                             f'{sorted(TEMPLATES)}')
        template = TEMPLATES[template]
    return np.asarray(template, np.float64) * size - 0.5


def fit_similarity(src, dst, weights=None):
    """2x3 matrix of the similarity transform taking ``src`` points to
    ``dst`` points (both (N, 2) x, y) with the least (``weights``-weighted)
    squared error."""
    z = np.asarray(src, np.float64) @ [1, 1j]
    w = np.asarray(dst, np.float64) @ [1, 1j]
    k = np.ones(len(z)) if weights is None else np.asarray(weights, float)
    zm, wm = (k * z).sum() / k.sum(), (k * w).sum() / k.sum()
    a = (k * (w - wm) * (z - zm).conj()).sum() / \
        (k * np.abs(z - zm) ** 2).sum()
    b = wm - a * zm
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def _h(m):
    return np.vstack([m, [0, 0, 1]])


def _scale_of(m):
    return float(np.sqrt(abs(np.linalg.det(m[:, :2]))))


def _warp(src, m, dsize, interpolation, border):
    """``cv2.warpAffine`` of ``src`` by ``m`` (src px -> dst px) into
    ``dsize`` (w, h); a shrink by more than 2x is done by area averaging
    first, of the part of ``src`` that is used."""
    s = _scale_of(m)
    if s < 0.5:
        inv = np.linalg.inv(_h(m))
        w, h = dsize
        corners = np.array([[-1, -1, 1], [w, -1, 1], [w, h, 1], [-1, h, 1]])
        mapped = (inv @ corners.T)[:2].T
        x0, y0 = np.maximum(np.floor(mapped.min(0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(mapped.max(0)).astype(int) + 3,
                            [src.shape[1], src.shape[0]])
        if x1 > x0 and y1 > y0:
            part = src[y0:y1, x0:x1]
            pw, ph = max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s))
            small = cv2.resize(part, (pw, ph), interpolation=cv2.INTER_AREA)
            rx, ry = pw / (x1 - x0), ph / (y1 - y0)
            # small px -> src px (pixel centres), then src -> dst
            back = np.array([[1 / rx, 0, 0.5 / rx - 0.5 + x0],
                             [0, 1 / ry, 0.5 / ry - 0.5 + y0], [0, 0, 1]])
            src, m = small.reshape(ph, pw, *src.shape[2:]), (_h(m) @ back)[:2]
    return cv2.warpAffine(src, m, dsize, flags=interpolation,
                          borderMode=border).reshape(
                              dsize[1], dsize[0], *src.shape[2:])


def align_face(img, points, size, template='ffhq'):
    """Crop of the face with 5 landmarks ``points`` aligned to ``template``.

    Returns ``(crop, matrix)``: the ``size`` x ``size`` uint8 crop and the
    2x3 matrix taking photo pixels to crop pixels (for :func:`paste_faces`).
    """
    m = fit_similarity(points, template_points(template, size),
                       LANDMARK_WEIGHTS)
    return _warp(img, m, (size, size), cv2.INTER_CUBIC,
                 cv2.BORDER_REFLECT_101), m


def crop_face(img, box, margin=0.25, size=None):
    """Square crop around ``box`` enlarged by ``margin`` of its side on every
    side (black padding where it leaves the image), optionally resized to
    ``size``; no rotation. Returns ``(crop, (top, left, side))``."""
    if margin < 0:
        raise ValueError(f'margin={margin} must be >= 0')
    side = int(round(box.size * (1 + 2 * margin)))
    cy, cx = box.top + box.size / 2.0, box.left + box.size / 2.0
    top, left = int(round(cy - side / 2.0)), int(round(cx - side / 2.0))
    h, w = img.shape[:2]
    out = np.zeros((side, side) + img.shape[2:], img.dtype)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + side, h), min(left + side, w)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = img[y0:y1, x0:x1]
    if size is not None and side != size:
        out = bicubic_resize(out, (size, size))
    return out, (top, left, side)


def feather_mask(side, feather=0.1):
    """``side`` x ``side`` float32 mask: 1 inside, linear fade towards 0
    over the outer ``feather`` fraction on each side."""
    ramp = max(1, int(round(side * feather)))
    pos = np.arange(side, dtype=np.float32)
    line = np.clip(np.minimum(pos + 0.5, side - pos - 0.5) / ramp, 0.0, 1.0)
    return np.minimum(line[:, None], line[None, :])


def paste_faces(photo, faces, scale=1, feather=0.1, return_alpha=False):
    """Blend restored aligned crops back into ``photo``.

    Args:
        photo: uint8 HWC image to paste into: the original photo or its
            ``scale`` x upscaled version (the background).
        faces: ``(crop, matrix)`` pairs: a restored square crop and the
            matrix :func:`align_face` returned for it (original photo
            pixels -> crop pixels, for a crop of this size).
        scale: how many times ``photo`` is larger than the photo the faces
            were aligned in.
        feather: blending ramp width, fraction of the crop side.

    Returns the new uint8 image (and the HxW float32 blending weight of the
    faces if ``return_alpha``). Pixels where the weight is 0 equal
    ``photo``'s exactly.
    """
    out = photo.copy()
    h, w = photo.shape[:2]
    alpha_all = np.zeros((h, w), np.float32) if return_alpha else None
    # upscaled px -> original px (pixel centres)
    up_to_orig = np.array([[1 / scale, 0, 0.5 / scale - 0.5],
                           [0, 1 / scale, 0.5 / scale - 0.5], [0, 0, 1]])
    for crop, matrix in faces:
        side = crop.shape[0]
        to_crop = _h(np.asarray(matrix, np.float64)) @ up_to_orig
        from_crop = np.linalg.inv(to_crop)
        corners = np.array([[-0.5, -0.5, 1], [side - 0.5, -0.5, 1],
                            [side - 0.5, side - 0.5, 1],
                            [-0.5, side - 0.5, 1]])
        mapped = (from_crop @ corners.T)[:2].T
        x0, y0 = np.maximum(np.floor(mapped.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(mapped.max(0)).astype(int) + 1, [w, h])
        if x1 <= x0 or y1 <= y0:
            continue
        # region px -> crop px
        place = to_crop @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]])
        inverse = np.linalg.inv(place)[:2]
        dsize = (int(x1 - x0), int(y1 - y0))
        face = _warp(crop, inverse, dsize, cv2.INTER_CUBIC,
                     cv2.BORDER_REPLICATE).astype(np.float32)
        alpha = _warp(feather_mask(side, feather), inverse, dsize,
                      cv2.INTER_LINEAR, cv2.BORDER_CONSTANT)
        region = out[y0:y1, x0:x1]
        if face.ndim == 2:
            face = face[..., None]
        touched = alpha > 0
        base = region.astype(np.float32)
        mixed = base + alpha[..., None] * (face - base)
        region[touched] = np.clip(np.round(mixed[touched]), 0, 255)
        if return_alpha:
            np.maximum(alpha_all[y0:y1, x0:x1], alpha,
                       out=alpha_all[y0:y1, x0:x1])
    return (out, alpha_all) if return_alpha else out
