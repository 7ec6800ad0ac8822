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
