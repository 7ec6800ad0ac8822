"""Where the alignment templates come from (:data:`.align.TEMPLATES`).

FFHQ (Karras et al., 2019) was aligned from dlib's 68 landmarks: with
``e0``, ``e1`` the centres of the two eyes (means of landmarks 36-41 and
42-47), ``m`` the middle of the mouth corners (48, 54), ``c = (e0 + e1) / 2``
and ``d = m - c``, the crop is the square centred at ``c + 0.1 d`` whose
sides are turned to the direction ``x = (e1 - e0) + (d_y, -d_x)`` and whose
half-side is ``max(2 |e1 - e0|, 1.8 |d|)``. The eyes come out level and at
fixed height.

The reference aligns with dlib's *5*-point model instead (eye corners and
the base of the nose) to a fixed template of those 5 points, so the template
is where the 5 points fall in FFHQ-aligned crops. :func:`derive_template`
measures it: each face is FFHQ-aligned from its 68 landmarks, its 5
landmarks are mapped into the unit square of that crop, and the mean over
faces is made left-right symmetric. :data:`.align.TEMPLATES` ``['ffhq']``
is its value on the 95 faces scikit-image and matplotlib ship (93 of the
100 LFW-subset faces that HOG finds once enlarged to 200x200, the astronaut,
Grace Hopper); ``tests/faceutils/test_template.py`` re-derives it.
"""
import numpy as np

__all__ = ['ffhq_square', 'unit_coordinates', 'derive_template', 'mirror']

# mirror pairs of the 5-point order (right eye <-> left eye), nose alone
_MIRROR = [2, 3, 0, 1, 4]


def ffhq_square(lm68):
    """Corners (top-left, top-right, bottom-right, bottom-left) of the FFHQ
    crop of a face with 68 landmarks ``lm68`` ((68, 2) x, y)."""
    lm = np.asarray(lm68, np.float64)
    e0, e1 = lm[36:42].mean(0), lm[42:48].mean(0)
    centre = (e0 + e1) / 2
    down = (lm[48] + lm[54]) / 2 - centre
    across = (e1 - e0) + np.array([down[1], -down[0]])
    across /= np.hypot(*across)
    half = max(2.0 * np.hypot(*(e1 - e0)), 1.8 * np.hypot(*down))
    x = across * half
    y = np.array([-x[1], x[0]])
    c = centre + 0.1 * down
    return np.stack([c - x - y, c + x - y, c + x + y, c - x + y])


def unit_coordinates(square, points):
    """``points`` in the unit square of ``square`` (its corners as from
    :func:`ffhq_square`): (0, 0) top-left, (1, 1) bottom-right."""
    origin = square[0]
    ex, ey = square[1] - square[0], square[3] - square[0]
    basis = np.stack([ex, ey], axis=1)
    return np.linalg.solve(basis, (np.asarray(points, np.float64) -
                                   origin).T).T


def mirror(template):
    """The left-right symmetric mean of a (5, 2) unit-square template."""
    t = np.asarray(template, np.float64)
    flipped = t[_MIRROR] * [-1, 1] + [1, 0]
    return (t + flipped) / 2


def derive_template(images, detector=None):
    """The 5-point template in FFHQ crops, measured on ``images`` (uint8
    RGB photos; every face found by ``detector``, default dlib HOG, counts).

    Returns ``(template (5, 2) unit-square coordinates, number of faces)``.
    """
    from .detector import FaceDetector
    from .dlib_models import import_dlib, load_model
    dlib = import_dlib()
    detector = detector or FaceDetector('dlib-hog')
    predictor68 = load_model('landmarks68')
    found = []
    for img in images:
        for face in detector.detect(img):
            rect = dlib.rectangle(face.left, face.top,
                                  face.left + face.size - 1,
                                  face.top + face.size - 1)
            lm68 = [(p.x, p.y) for p in predictor68(img, rect).parts()]
            found.append(unit_coordinates(ffhq_square(lm68), face.points))
    if not found:
        raise ValueError('derive_template: no face found in the images')
    return mirror(np.mean(found, axis=0)), len(found)
