"""How the command-line tools find their config: ``-c``, ``-o`` and a run
folder's ``config.yaml``.

Every tool that takes weights accepts ``-c/--config-file`` (a path, or a
model name from ``configs/``) and ``-o key=value`` overrides, as
``tools/main.py`` does. Weights from a run folder need no ``-c``: the
Trainer saves the run's effective config (after its ``-o``) next to them as
``config.yaml``, and that file is used (``-o`` still applies on top).
"""
import os
import re

from .config import ConfigError, load_config

__all__ = ['add_config_arguments', 'run_config_for', 'load_tool_config',
           'run_name']

RUN_CONFIG = 'config.yaml'
_RUN_SUFFIX = re.compile(
    r'(-eval)?-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}(-\d{2})?(-\d+)?$')


def add_config_arguments(parser, required=False):
    """``-c/--config-file`` and ``-o/--opt`` with the same meaning in every
    tool; ``-c`` may be left out when the weights come from a run folder."""
    parser.add_argument(
        '-c', '--config-file', default=None, required=required,
        help='config file, or a model name from configs/ (rdn_x4, sparnet, '
        '...)' + ('' if required else "; default: the weights' run folder's "
                  'config.yaml'))
    parser.add_argument('-o', '--opt', nargs='+', default=None,
                        metavar='KEY=VALUE',
                        help='config overrides, e.g. model.generator.nf=32')


def run_config_for(weights):
    """The ``config.yaml`` of the run folder holding ``weights``, or None."""
    if not weights:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(weights)), RUN_CONFIG)
    return path if os.path.isfile(path) else None


def run_name(config_path):
    """The name a run is filed under: the config's file name, or for a run
    folder's ``config.yaml`` the run's own (``rdn_x2_demo-2026-...`` ->
    ``rdn_x2_demo``)."""
    path = os.path.abspath(str(config_path))
    if os.path.basename(path) == RUN_CONFIG:
        return _RUN_SUFFIX.sub('', os.path.basename(os.path.dirname(path)))
    return os.path.splitext(os.path.basename(path))[0]


def load_tool_config(config, overrides, weights, flag='--weights'):
    """``(config path, loaded config)`` for a tool: ``config`` (``-c``) if
    given, else the run folder config of ``weights``."""
    if not config:
        config = run_config_for(weights)
        if config is None:
            where = os.path.dirname(os.path.abspath(weights)) if weights \
                else None
            raise ConfigError(
                'no config: give -c/--config-file' + (
                    f' ({flag} {weights}: its folder {where} has no '
                    f'{RUN_CONFIG})' if weights else ''))
    return config, load_config(config, overrides)
