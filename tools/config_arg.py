"""The ``-c/--config-file`` argument the tools share (a path or a model name,
see ``ppgan_ext.config.resolve_config``)."""

__all__ = ['add_config_argument', 'add_precision_argument']


def add_config_argument(parser):
    parser.add_argument('-c', '--config-file', required=True,
                        help='config file, or a model name from configs/ '
                        '(rdn_x4, sparnet, ...)')


def add_precision_argument(parser):
    """``--precision auto|fp32|bf16`` of the inference engine."""
    parser.add_argument('--precision', default='auto',
                        choices=['auto', 'fp32', 'bf16'],
                        help='inference engine precision; auto: bf16 where '
                        'the CPU has AMX-BF16 / AVX512-BF16 and the model '
                        'is on the bf16 allow list, else fp32')
