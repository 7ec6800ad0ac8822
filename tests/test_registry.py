"""import ppgan_ext registers every plugin component; collisions are refused."""
import pytest

import ppgan_ext  # noqa: F401
from ppgan.datasets.builder import DATASETS
from ppgan.datasets.preprocess.builder import PREPROCESS
from ppgan.metrics.builder import METRICS
from ppgan.models.builder import MODELS
from ppgan.models.criterions.builder import CRITERIONS
from ppgan.models.discriminators.builder import DISCRIMINATORS
from ppgan.models.generators.builder import GENERATORS
from ppgan_ext.registry import RegistrationError, register

EXPECTED = {
    GENERATORS: ['RDN', 'SPARNet', 'PGANGenerator'],
    DISCRIMINATORS: ['PGANDiscriminator', 'SPARNetHDDiscriminator'],
    MODELS: ['ExtSRModel', 'SPARNetModel', 'SPARNetHDModel', 'PGANModel'],
    CRITERIONS: ['LocalPerceptualLoss', 'FeatureMatchingLoss'],
    DATASETS: ['SRFolderDataset', 'FaceSRDataset', 'FFHQDegradationDataset',
               'ImageFolderDataset'],
    PREPROCESS: ['ReadImage'],
    METRICS: ['FacePSNR', 'FaceSSIM', 'LaplacianSWD', 'MSSSIMDiversity'],
}


@pytest.mark.parametrize('registry', list(EXPECTED), ids=lambda r: r._name)
def test_plugin_names_are_registered_from_ppgan_ext(registry):
    for name in EXPECTED[registry]:
        assert registry.get(name).__module__.startswith('ppgan_ext.'), name


def test_ppgan_names_are_untouched():
    assert GENERATORS.get('RRDBNet').__module__.startswith('ppgan.')
    assert METRICS.get('PSNR').__module__.startswith('ppgan.')


def test_registering_an_existing_ppgan_name_fails_loudly():
    class RRDBNet:
        """Same name as ppgan's generator."""

    with pytest.raises(RegistrationError, match=r"'RRDBNet'.*GENERATOR"):
        register(GENERATORS)(RRDBNet)
    assert GENERATORS.get('RRDBNet').__module__.startswith('ppgan.')


def test_registering_the_same_class_again_is_harmless():
    cls = GENERATORS.get('RDN')
    assert register(GENERATORS)(cls) is cls


def test_a_replacement_must_subclass_what_it_replaces():
    """registry.replace is how ppgan's SRDataset / LoadImageFromFile /
    PerceptualLoss get the plugin's checks; nothing else may take a name."""
    from ppgan_ext.registry import replace

    class NotADataset:
        """Not derived from ppgan's SRDataset."""

    before = DATASETS.get('SRDataset')
    with pytest.raises(RegistrationError, match="'SRDataset'.*not a subclass"):
        replace(DATASETS, 'SRDataset')(NotADataset)
    with pytest.raises(RegistrationError, match="'NoSuchName'.*no such name"):
        replace(DATASETS, 'NoSuchName')(NotADataset)
    assert DATASETS.get('SRDataset') is before
    assert 'NoSuchName' not in DATASETS._obj_map
