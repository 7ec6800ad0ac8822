"""Two CPU processes through paddle.distributed.launch: different data
shards, identical weights at the end, one set of checkpoints."""
import glob
import json
import os
import subprocess
import sys

import numpy as np

from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.checkpoint import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_two_processes_train_on_shards_and_agree(tmp_path):
    build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)
    out = tmp_path / 'run'
    out.mkdir()
    cmd = [sys.executable, '-m', 'paddle.distributed.launch',
           '--nproc_per_node', '2', '--log_dir', str(tmp_path / 'logs'),
           'tests/engine/dist_train_driver.py', str(out),
           '-c', 'configs/esrgan_psnr_x4_demo.yaml', '--seed', '0',
           '--device', 'cpu', '-o', 'total_iters=3', f'output_dir={out}',
           'model.generator.nf=8', 'model.generator.nb=1',
           'dataset.train.batch_size=2', 'validate.interval=-1']
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          timeout=400)
    logs = ''.join(open(p).read()[-2000:] for p in
                   glob.glob(str(tmp_path / 'logs' / 'workerlog.*')))
    assert proc.returncode == 0, proc.stdout[-2000:] + logs
    seen = [json.load(open(out / f'rank{r}_seen.json')) for r in (0, 1)]
    assert [s['world'] for s in seen] == [2, 2]
    assert len(seen[0]['seen']) == len(seen[1]['seen']) == 6  # 3 iters x 2
    assert not set(seen[0]['seen']) & set(seen[1]['seen'])
    w0 = np.load(out / 'rank0_weights.npz')
    w1 = np.load(out / 'rank1_weights.npz')
    assert set(w0.files) == set(w1.files)
    for k in w0.files:
        np.testing.assert_array_equal(w0[k], w1[k], err_msg=k)
    runs = glob.glob(str(out / 'esrgan_psnr_x4_demo-*'))
    # one run folder although rank 1's clock is 2 minutes ahead; rank 0
    # alone writes checkpoints and VisualDL logs
    assert len(runs) == 1, runs
    assert len(glob.glob(os.path.join(runs[0], 'vdlrecords*'))) == 1
    saved = load_checkpoint(os.path.join(runs[0], 'iter_3_weight.pdparams'))
    for k in w0.files:
        np.testing.assert_array_equal(saved['generator'][k], w0[k])
