"""The ``-c/--config-file`` argument the tools share (a path or a model name,
see ``ppgan_ext.config.resolve_config``)."""

__all__ = ['add_config_argument']


def add_config_argument(parser):
    parser.add_argument('-c', '--config-file', required=True,
                        help='config file, or a model name from configs/ '
                        '(rdn_x4, sparnet, ...)')
