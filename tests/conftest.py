"""Keep the export cache of every test run (and the tools it starts) out of
the user's ~/.cache."""
import os

import pytest


@pytest.fixture(autouse=True, scope='session')
def _private_export_cache(tmp_path_factory):
    old = os.environ.get('PPGAN_EXT_CACHE')
    os.environ['PPGAN_EXT_CACHE'] = str(tmp_path_factory.mktemp('cache'))
    yield
    if old is None:
        del os.environ['PPGAN_EXT_CACHE']
    else:
        os.environ['PPGAN_EXT_CACHE'] = old


def pytest_addoption(parser):
    parser.addoption(
        '--train-parity-table', action='store_true',
        help='print the measured errors of the training-parity tests '
        '(tests/**/test_*_train_parity.py) as markdown tables at the end')


def pytest_terminal_summary(terminalreporter, config):
    if not config.getoption('--train-parity-table'):
        return
    from tests.train_parity import RESULTS, format_table
    if RESULTS:
        terminalreporter.section('training parity')
        terminalreporter.write_line(format_table())
