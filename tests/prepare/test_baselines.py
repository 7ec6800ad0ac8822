"""The face bicubic baseline scores exactly the input FaceSRDataset gives the
model (the LR face bicubic-upsampled) against its HR face."""
import pytest

from ppgan_ext.datasets.face_sr_dataset import FaceSRDataset
from ppgan_ext.io.visuals import to_uint8
from ppgan_ext.metrics.face_psnr_ssim import FacePSNR, FaceSSIM
from ppgan_ext.prepare.baselines import face_bicubic_baseline
from tests.real_faces import write_lfw_faces


def test_face_baseline_scores_the_datasets_own_input(tmp_path):
    folder = write_lfw_faces(tmp_path / 'hr', range(3), 64)
    scores = face_bicubic_baseline(folder, gt_size=64, scale=8)
    data = FaceSRDataset(folder, gt_size=64, scale=8)
    psnr, ssim = FacePSNR(), FaceSSIM()
    for i in range(len(data)):
        item = data[i]
        lq, gt = (to_uint8(item[k], data.value_range) for k in ('lq', 'gt'))
        psnr.update([lq], [gt])
        ssim.update([lq], [gt])
    assert scores['face_psnr'] == pytest.approx(psnr.accumulate(), abs=1e-9)
    assert scores['face_ssim'] == pytest.approx(ssim.accumulate(), abs=1e-9)
    assert 15 < scores['face_psnr'] < 40
