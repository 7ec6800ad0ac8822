"""Whole-photo face enhancement: faces found, restored region blended in,
everything else untouched."""
import numpy as np
import skimage.data

import ppgan_ext  # noqa: F401
from ppgan_ext.deploy.face_enhance import FaceEnhancer, feather_mask
from ppgan_ext.engine.checkpoint import save_checkpoint
from tests.predictor_fakes import InvertFacesForTests, write_config


def test_feather_mask_shape_and_ramp():
    m = feather_mask(20, 0.2)
    assert m.shape == (20, 20)
    assert m[10, 10] == 1.0 and m[0, 0] < 0.2
    np.testing.assert_allclose(m, m.T)


def test_faces_are_replaced_and_background_untouched(tmp_path):
    cfg = write_config(tmp_path, {'name': 'InvertFacesForTests'},
                       model='SPARNetModel')
    weights = tmp_path / 'w.pdparams'
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   InvertFacesForTests().state_dict().items()}},
                    str(weights))
    photo = skimage.data.astronaut()
    enhancer = FaceEnhancer(cfg, str(weights), margin=0.1)
    out, boxes = enhancer.enhance(photo)
    assert len(boxes) >= 1 and out.shape == photo.shape
    box = boxes[0]
    centre = (box.top + box.size // 2, box.left + box.size // 2)
    # inverted inside the face (up to the resize round trip) ...
    inside = out[centre].astype(int)
    assert np.abs(inside - (255 - photo[centre].astype(int))).max() <= 40
    # ... and untouched outside every crop
    mask = np.zeros(photo.shape[:2], bool)
    for b in boxes:
        pad = int(b.size * 0.1) + 2
        mask[max(b.top - pad, 0):b.top + b.size + pad,
             max(b.left - pad, 0):b.left + b.size + pad] = True
    np.testing.assert_array_equal(out[~mask], photo[~mask])


def test_crops_are_resized_to_the_face_models_own_size(tmp_path):
    """SPARNet (in_size 128) and SPARNetHD (512) get crops of their size."""
    from ppgan.models.generators.builder import build_generator
    gen = {'name': 'SPARNet', 'min_ch': 8, 'max_ch': 16, 'in_size': 64,
           'out_size': 64, 'min_feat_size': 16, 'res_depth': 1,
           'bottleneck_size': 8, 'hourglass_width': 8}
    cfg = write_config(tmp_path, gen, model='SPARNetModel')
    weights = tmp_path / 'w.pdparams'
    net = build_generator(dict(gen))
    save_checkpoint({'generator': {k: v.numpy() for k, v in
                                   net.state_dict().items()}}, str(weights))
    enhancer = FaceEnhancer(cfg, str(weights))
    assert enhancer.size == 64 and enhancer.predictor.scale == 1
