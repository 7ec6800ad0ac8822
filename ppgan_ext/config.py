"""Loading YAML configs and ``-o key=value`` overrides with clear errors.

ppgan's ``get_config`` parses override values with ``eval`` and reports a
misspelled key with a bare ``assert``. Here values are parsed as YAML scalars
(``-o model.generator.res_depth=4``, ``-o dataset.train.batch_size=2``,
``-o amp.level=O2``) and a path that does not exist fails naming the key and
the keys that do exist at that level. The resulting object is ppgan's own
``AttrDict`` so the Trainer sees exactly what ``get_config`` would give.

A config may also be named by model (``rdn_x4``, ``sparnet``): the file of
that name in the project's ``configs/`` folder.
"""
import ast
import contextlib
import os

import yaml
from ppgan.utils.config import AttrDict, create_attr_dict

from .errors import UserError

__all__ = ['ConfigError', 'config_section', 'load_config', 'apply_overrides',
           'resolve_config', 'CONFIG_DIR']

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'configs')


class ConfigError(UserError, ValueError):
    """A config file or override is missing, malformed or names no key."""


@contextlib.contextmanager
def config_section(key):
    """Name the config section ``key`` in a :class:`ConfigError` raised while
    it is built: a class checking its arguments knows their names, not
    where in the config they sit."""
    try:
        yield
    except ConfigError as e:
        if type(e) is ConfigError and not str(e).startswith(key):
            e.args = (f'{key}: {e}',)
        raise


def _parse_value(text):
    """YAML scalar/list/map; strings that are Python literals (``1e-6``,
    ``(0., 1.)``) become values, as ppgan's config loader does for files."""
    try:
        value = yaml.safe_load(text) if text.strip() else ''
    except yaml.YAMLError:
        value = text
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
    return value


def _to_attr(value):
    if isinstance(value, dict) and not isinstance(value, AttrDict):
        value = AttrDict(value)
        create_attr_dict(value)
    return value


def apply_overrides(cfg, options, new_keys=('amp', )):
    """Apply ``key.sub.0.leaf=value`` strings to ``cfg`` in place.

    Keys under a top-level section listed in ``new_keys`` may be created
    (that section validates itself), and so may a new argument of a
    ``{name: ...}`` component (``config_check`` matches it against the
    class); any other missing key is an error.
    """
    for opt in options or []:
        if '=' not in opt:
            raise ConfigError(f"override '{opt}': expected key=value")
        key, value = opt.split('=', 1)
        parts = key.strip().split('.')
        node, walked = cfg, []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            where = '.'.join(walked) or '<top level>'
            if isinstance(node, list):
                if not part.lstrip('-').isdigit() or not (
                        -len(node) <= int(part) < len(node)):
                    raise ConfigError(
                        f"override '{key}': '{part}' is not an index of the "
                        f'{len(node)}-item list at {where}')
                part = int(part)
            elif isinstance(node, dict):
                if part not in node:
                    # a new argument of a {name: ...} component is allowed:
                    # config_check then matches it against the class
                    if not (last and 'name' in node) and \
                            parts[0] not in new_keys:
                        raise ConfigError(
                            f"override '{key}': no key '{part}' at {where} "
                            f'(keys there: {sorted(node)})')
                    node[part] = AttrDict()
            else:
                raise ConfigError(f"override '{key}': {where} is a "
                                  f'{type(node).__name__}, not a mapping')
            if last:
                node[part] = _to_attr(_parse_value(value))
            else:
                node = node[part]
            walked.append(str(part))
    return cfg


def _model_names():
    if not os.path.isdir(CONFIG_DIR):
        return []
    return sorted(n[:-5] for n in os.listdir(CONFIG_DIR)
                  if n.endswith('.yaml'))


def resolve_config(path):
    """A config file path, or a model name from ``configs/`` -> its path."""
    if not path:
        raise ConfigError('no config file given (use --config-file/-c)')
    if os.path.isfile(path):
        return path
    names = _model_names()
    if path in names:
        return os.path.join(CONFIG_DIR, path + '.yaml')
    raise ConfigError(f'{path}: config file not found, and not a model name '
                      f'(names: {", ".join(names) or "none"})')


def load_config(path, overrides=None):
    """Read ``path`` into ppgan's AttrDict and apply ``overrides``."""
    path = resolve_config(path)
    try:
        with open(path) as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise ConfigError(f'{path}: not valid YAML ({e})') from e
    if not isinstance(raw, dict):
        raise ConfigError(f'{path}: top level must be a mapping')
    cfg = AttrDict(raw)
    create_attr_dict(cfg)
    return apply_overrides(cfg, overrides)
