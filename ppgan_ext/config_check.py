"""Check a config against the classes it names, before anything is built.

Every ``{name: X, ...}`` block is looked up in the ppgan registry its place
implies (model, generator, discriminator, criterions, dataset, preprocess
and transform ops, metrics, lr scheduler, optimizer) and its other keys are
matched against ``X.__init__``'s parameters: an unknown key, or a value whose
type clashes with the parameter's default (a string where a number belongs,
a float for an integer count), fails with the key's path, its value and what
was expected. Classes that take ``**kwargs`` accept any extra key; a model
class may list keys it reads itself from other sections in
``config_keys_consumed`` (e.g. ``{'lr_scheduler': {'d_learning_rate'}}``).
"""
import inspect

import numpy as np
from ppgan.datasets.builder import DATASETS
from ppgan.datasets.preprocess.builder import PREPROCESS, TRANSFORMS
from ppgan.metrics.builder import METRICS
from ppgan.models.builder import MODELS
from ppgan.models.criterions.builder import CRITERIONS
from ppgan.models.discriminators.builder import DISCRIMINATORS
from ppgan.models.generators.builder import GENERATORS
from ppgan.solver.builder import LRSCHEDULERS, OPTIMIZERS

from .config import ConfigError
from .models.base import plugin_model
from .value_range import (dataset_value_range, describe, resolve_value_range,
                          value_range_of)

__all__ = ['validate_config']

TOP_LEVEL = {
    'total_iters': int, 'epochs': int, 'output_dir': str, 'min_max': None,
    'model': dict, 'dataset': dict, 'lr_scheduler': dict, 'optimizer': dict,
    'validate': dict, 'log_config': dict, 'snapshot_config': dict,
    'enable_visualdl': bool, 'find_unused_parameters': bool,
    'image_num': int, 'export_model': None, 'amp': dict, 'inference': dict,
    'is_train': bool, 'profiler_options': None, 'timestamp': str,
}
# keys the Trainer / builders consume before calling the class
_CONSUMED = {
    'dataset': {'batch_size', 'num_workers', 'use_shared_memory'},
    'optimizer': {'net_names'},
    'lr_scheduler': {'iters_per_epoch'},
}
_SECTION_KEYS = {
    'log_config': {'interval': int, 'visiual_interval': int},
    'snapshot_config': {'interval': int, 'keep_checkpoints': int},
    'validate': {'interval': int, 'save_img': bool, 'metrics': dict},
}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_ok(value, default):
    """Is ``value`` plausible for a parameter whose default is ``default``?

    Numbers are interchangeable (an int default may take 1e-7) and may come
    per channel as a list; strings, bools and numbers do not mix."""
    if value is None or default is None or default is inspect._empty:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if _is_number(default):
        return _is_number(value) or (isinstance(value, (list, tuple)) and
                                     all(_is_number(v) for v in value))
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return True


# parameters without a default whose meaning is always a number
_NUMERIC_NAMES = {'scale', 'crop_border', 'gt_patch_size', 'learning_rate',
                  'size', 'prob', 'batch_size', 'num_workers'}


def _check_block(block, registry, path, errors, consumed=()):
    name = block.get('name')
    if name is None:
        errors.append(f'{path}: no "name" key (expected a {registry._name} '
                      'name)')
        return None
    cls = registry._obj_map.get(name)
    if cls is None:
        known = ', '.join(sorted(registry._obj_map)[:12])
        errors.append(f"{path}.name: '{name}' is not a registered "
                      f'{registry._name} (known: {known}, ...); is '
                      'ppgan_ext imported?')
        return None
    try:
        params = inspect.signature(cls.__init__ if inspect.isclass(cls)
                                   else cls).parameters
    except (TypeError, ValueError):
        return cls
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    for key, value in block.items():
        if key == 'name' or key in consumed:
            continue
        param = params.get(key)
        if param is None:
            if not takes_any:
                allowed = sorted(k for k in params if k not in ('self', ))
                errors.append(f'{path}.{key} = {value!r}: {name} has no '
                              f'argument {key!r} (it takes: {allowed})')
            continue
        default = param.default
        if default is inspect._empty and key in _NUMERIC_NAMES:
            default = 0
        if not _type_ok(value, default):
            errors.append(f'{path}.{key} = {value!r}: expected '
                          f'{type(default).__name__} (as {name}.{key}'
                          + ('' if param.default is inspect._empty else
                             f', default {param.default!r}') + ')')
    return cls


def _check_pipeline(ops, path, errors):
    for i, op in enumerate(ops or []):
        if not isinstance(op, dict):
            errors.append(f'{path}.{i}: expected a {{name: ...}} mapping')
            continue
        _check_block(op, PREPROCESS, f'{path}.{i}', errors)
        if op.get('name') == 'Transforms':
            for j, t in enumerate(op.get('pipeline') or []):
                _check_block(t, TRANSFORMS, f'{path}.{i}.pipeline.{j}',
                             errors)


def _net_registry(key):
    if 'discriminator' in key:
        return DISCRIMINATORS
    if 'criterion' in key or key.endswith('loss'):
        return CRITERIONS
    if 'generator' in key:
        return GENERATORS
    return None


def _check_optimizer(cfg, errors):
    opt = cfg.get('optimizer')
    if not isinstance(opt, dict):
        return
    blocks = {'optimizer': opt} if 'name' in opt else {
        f'optimizer.{k}': v for k, v in opt.items()}
    for path, block in blocks.items():
        if isinstance(block, dict):
            # ppgan passes beta1/beta2/... through to paddle's optimizers
            _check_block({'name': block.get('name')}, OPTIMIZERS, path,
                         errors)


def _scales(cfg):
    """Every ``scale`` the config states: the generator's, each dataset's
    and each of their pipeline ops' (e.g. SRPairedRandomCrop)."""
    found = {}
    gen = (cfg.get('model') or {}).get('generator')
    if isinstance(gen, dict) and _is_number(gen.get('scale')):
        found['model.generator.scale'] = gen['scale']
    for split, block in (cfg.get('dataset') or {}).items():
        if not isinstance(block, dict):
            continue
        if _is_number(block.get('scale')):
            found[f'dataset.{split}.scale'] = block['scale']
        for i, op in enumerate(block.get('preprocess') or []):
            for j, sub in enumerate((op or {}).get('pipeline') or []):
                if isinstance(sub, dict) and _is_number(sub.get('scale')):
                    found[f'dataset.{split}.preprocess.{i}.pipeline.{j}'
                          '.scale'] = sub['scale']
    return found


def _check_scales(cfg, errors):
    found = _scales(cfg)
    if len(set(found.values())) > 1:
        errors.append('the scales disagree: ' + ', '.join(
            f'{path} = {value}' for path, value in found.items()) +
            '; the model and its data must use one scale')


def _check_value_range(cfg, errors):
    """The model declares its pixel range; ``min_max`` and the datasets'
    normalisation must agree with it."""
    try:
        model_range = resolve_value_range(cfg)
    except ConfigError as e:
        errors.append(str(e))
        return
    if value_range_of(cfg.get('model')) is None:
        return  # a ppgan model without a declared range: ppgan's contract
    for split, block in (cfg.get('dataset') or {}).items():
        served = dataset_value_range(block) if isinstance(block, dict) \
            else None
        if served is not None and not np.allclose(served, model_range,
                                                  atol=1e-6):
            errors.append(
                f'dataset.{split}: serves images in {describe(served)} but '
                f"model {cfg['model']['name']} works on "
                f'{describe(model_range)}; fix its Normalize (mean/std)')


def validate_config(cfg, source='config'):
    """Raise :class:`ConfigError` listing every problem found in ``cfg``."""
    errors = []
    for key, value in cfg.items():
        if key not in TOP_LEVEL:
            errors.append(f'{key}: unknown top-level key (known: '
                          f'{sorted(TOP_LEVEL)})')
        elif TOP_LEVEL[key] is not None and value is not None and \
                not _type_ok(value, TOP_LEVEL[key]()):
            errors.append(f'{key} = {value!r}: expected '
                          f'{TOP_LEVEL[key].__name__}')
    for section, keys in _SECTION_KEYS.items():
        for key, value in (cfg.get(section) or {}).items():
            if key not in keys:
                errors.append(f'{section}.{key}: unknown key (known: '
                              f'{sorted(keys)})')
            elif not _type_ok(value, keys[key]()):
                errors.append(f'{section}.{key} = {value!r}: expected '
                              f'{keys[key].__name__}')
    model = cfg.get('model')
    # keys a model reads itself from other sections (e.g. a second lr)
    plugin = plugin_model(model) if isinstance(model, dict) else None
    extra = plugin.config_keys_consumed if plugin else {}
    if isinstance(model, dict):
        _check_block(model, MODELS, 'model', errors,
                     consumed={k for k, v in model.items()
                               if isinstance(v, dict) and 'name' in v})
        for key, block in model.items():
            registry = _net_registry(key)
            if isinstance(block, dict) and 'name' in block and registry:
                _check_block(block, registry, f'model.{key}', errors)
    for split, block in (cfg.get('dataset') or {}).items():
        if isinstance(block, dict):
            _check_block(block, DATASETS, f'dataset.{split}', errors,
                         _CONSUMED['dataset'] | {'preprocess'})
            _check_pipeline(block.get('preprocess'),
                            f'dataset.{split}.preprocess', errors)
    for name, block in ((cfg.get('validate') or {}).get('metrics')
                        or {}).items():
        if isinstance(block, dict):
            _check_block(block, METRICS, f'validate.metrics.{name}', errors)
    if isinstance(cfg.get('lr_scheduler'), dict):
        _check_block(cfg.lr_scheduler, LRSCHEDULERS, 'lr_scheduler', errors,
                     _CONSUMED['lr_scheduler'] |
                     set(extra.get('lr_scheduler', ())))
    _check_optimizer(cfg, errors)
    _check_scales(cfg, errors)
    _check_value_range(cfg, errors)
    if errors:
        raise ConfigError(f'{source}: {len(errors)} problem(s):\n  ' +
                          '\n  '.join(errors))
