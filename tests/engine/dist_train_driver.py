"""Run by test_distributed.py under paddle.distributed.launch: trains through
the normal CLI, then each rank writes what it saw and its final weights.
Rank 1's clock runs two minutes ahead, as a rank that starts late could."""
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import ppgan_ext  # noqa: E402,F401
from ppgan.models.sr_model import BaseSRModel  # noqa: E402

from ppgan_ext.cli import main  # noqa: E402

seen = []
_setup_input = BaseSRModel.setup_input


def recording_setup_input(self, input):
    if self.is_train:
        seen.extend(input['lq_path'])
    return _setup_input(self, input)


BaseSRModel.setup_input = recording_setup_input

if os.environ.get('PADDLE_TRAINER_ID') == '1':
    _time, _localtime = time.time, time.localtime
    time.time = lambda: _time() + 120
    time.localtime = lambda secs=None: _localtime(
        _time() + 120 if secs is None else secs)

if __name__ == '__main__':
    out = sys.argv[1]
    trainer = main(sys.argv[2:])
    import paddle
    rank = paddle.distributed.get_rank()
    weights = {k: v.numpy() for k, v in
               trainer.model.nets['generator'].state_dict().items()}
    np.savez(os.path.join(out, f'rank{rank}_weights.npz'), **weights)
    with open(os.path.join(out, f'rank{rank}_seen.json'), 'w') as f:
        json.dump({'seen': seen,
                   'world': paddle.distributed.get_world_size()}, f)
