"""tools/demo.py (`make demo`) on a tiny RDN: it trains, scores against
bicubic, checks tools/inference.py against the trainer's own validation
image, writes the comparison picture, and fails when RDN loses."""
import glob
import os
import subprocess
import sys

from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.images import read_image
from tests.tiny_configs import tiny_rdn_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_demo_checks_the_inference_tool_and_fails_when_bicubic_wins(tmp_path):
    data = build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *a: None)
    config = tiny_rdn_config(tmp_path, data)
    proc = subprocess.run(
        [sys.executable, 'tools/demo.py', '--config', config, '--out',
         str(tmp_path / 'demo')], cwd=ROOT, capture_output=True, text=True,
        timeout=600)
    out = proc.stdout
    assert proc.returncode == 1, out[-3000:] + proc.stderr[-3000:]
    assert 'RDN does NOT beat bicubic' in out  # 2 iterations of a tiny RDN
    assert '-> equal within rounding' in out
    run, = glob.glob(str(tmp_path / 'demo' / '*' / '*'))
    assert f'VisualDL:   visualdl --logdir {run} --port 8040' in out
    picture = read_image(os.path.join(run, 'comparison_chelsea.png'))
    assert picture.shape == (320, 960, 3)  # 3 crops of 160 px, zoom 2
    assert os.path.isfile(os.path.join(run, 'inference', 'chelsea.png'))
