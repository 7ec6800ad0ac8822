"""A tiny SPARNet config on real LFW faces (64 px, 2 iterations), for the
tests that train it and then use what it made."""
import os

import yaml

from tests.real_faces import write_lfw_faces

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_G = dict(name='SPARNet', min_ch=8, max_ch=16, in_size=64, out_size=64,
              min_feat_size=16, res_depth=0, relu_type='leakyrelu',
              norm_type='bn', att_name='spar', bottleneck_size=8,
              hourglass_width=8)


def tiny_sparnet_config(tmp, **generator):
    """configs/sparnet_demo.yaml with TINY_G (updated by ``generator``), 4
    training and 3 test faces (64 px, x4), 2 iterations validated and saved
    at the end; returns the config's path."""
    write_lfw_faces(str(tmp / 'train'), range(4), 64)
    write_lfw_faces(str(tmp / 'test'), range(90, 93), 64)
    with open(os.path.join(ROOT, 'configs', 'sparnet_demo.yaml')) as f:
        cfg = yaml.safe_load(f)
    cfg['model']['generator'] = dict(TINY_G, **generator)
    for split in ('train', 'test'):
        cfg['dataset'][split].update(folder=str(tmp / split), gt_size=64,
                                     scale=4)
    cfg['dataset']['train']['batch_size'] = 2
    cfg.update(total_iters=2, output_dir=str(tmp / 'out'))
    cfg['validate']['interval'] = 2
    cfg['log_config'] = {'interval': 1, 'visiual_interval': 2}
    cfg['snapshot_config'] = {'interval': 2}
    path = tmp / 'tiny_sparnet.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)
