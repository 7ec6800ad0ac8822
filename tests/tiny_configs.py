"""Config files of a tiny RDN on the demo photos, for tests that run the
tools as a user does (they take a config file, not overrides)."""
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_rdn_config(tmp_path, data, total_iters=2):
    """configs/rdn_x2_demo.yaml with a G0=8, D=C=1 RDN on ``data``
    (data/demo_sr), ``total_iters`` iterations, output under tmp_path/out."""
    cfg = yaml.safe_load(open(os.path.join(ROOT, 'configs',
                                           'rdn_x2_demo.yaml')))
    cfg['model']['generator'].update(num_features=8, num_blocks=1,
                                     num_layers=1, growth_rate=8)
    cfg.update(total_iters=total_iters, output_dir=str(tmp_path / 'out'))
    for split in ('train', 'test'):
        cfg['dataset'][split].update(gt_folder=f'{data}/{split}',
                                     lq_folder=f'{data}/{split}_X2')
    cfg['dataset']['train']['preprocess'][2]['pipeline'][0][
        'gt_patch_size'] = 24
    cfg['validate']['interval'] = total_iters
    cfg['snapshot_config']['interval'] = total_iters
    cfg['log_config']['interval'] = 1
    path = tmp_path / 'rdn_tiny.yaml'
    path.write_text(yaml.safe_dump(cfg))
    return str(path)
