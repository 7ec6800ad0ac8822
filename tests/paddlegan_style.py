"""PaddleGAN's own names for the plugin's SR data pipeline: ``SRDataset`` and
``LoadImageFromFile`` where the plugin's configs say ``SRFolderDataset`` and
``ReadImage`` (as in PaddleGAN's esrgan_*_div2k.yaml configs)."""
import copy

PADDLEGAN_NAMES = {'SRFolderDataset': 'SRDataset',
                   'ReadImage': 'LoadImageFromFile'}


def with_paddlegan_names(dataset_cfg):
    """A copy of a ``dataset.<split>`` block using ppgan's class names."""
    cfg = copy.deepcopy(dict(dataset_cfg))
    cfg['name'] = PADDLEGAN_NAMES.get(cfg['name'], cfg['name'])
    cfg['preprocess'] = [dict(op, name=PADDLEGAN_NAMES.get(op['name'],
                                                           op['name']))
                         for op in cfg['preprocess']]
    return cfg
