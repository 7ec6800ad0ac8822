"""A tiny SPARNet config on real LFW faces, for the tests that train it and
then use what it made."""
import os

import yaml

from tests.real_faces import write_lfw_faces

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_G = dict(name='SPARNet', min_ch=8, max_ch=16, in_size=64, out_size=64,
              min_feat_size=16, res_depth=0, relu_type='leakyrelu',
              norm_type='bn', att_name='spar', bottleneck_size=8,
              hourglass_width=8)


def tiny_sparnet_config(tmp, size=64, n_train=4, n_test=3, iters=2,
                        edit=None, **generator):
    """configs/sparnet_demo.yaml with TINY_G (updated by ``generator``) on
    LFW faces 0.. (train) and 90.. (test) of ``size`` px (x4), ``iters``
    iterations of batch 2, validated and saved every 2; ``edit(cfg)`` may
    change the rest. Writes ``tmp/tiny_sparnet.yaml`` and returns its path.
    """
    write_lfw_faces(str(tmp / 'train'), range(n_train), size)
    write_lfw_faces(str(tmp / 'test'), range(90, 90 + n_test), size)
    with open(os.path.join(ROOT, 'configs', 'sparnet_demo.yaml')) as f:
        cfg = yaml.safe_load(f)
    cfg['model']['generator'] = dict(TINY_G, **generator)
    for split in ('train', 'test'):
        cfg['dataset'][split].update(folder=str(tmp / split), gt_size=size,
                                     scale=4)
    cfg['dataset']['train']['batch_size'] = 2
    cfg.update(total_iters=iters, output_dir=str(tmp / 'out'))
    cfg['validate']['interval'] = 2
    cfg['log_config'] = {'interval': 1, 'visiual_interval': 2}
    cfg['snapshot_config'] = {'interval': 2}
    if edit:
        edit(cfg)
    path = tmp / 'tiny_sparnet.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)
