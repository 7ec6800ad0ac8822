"""ppgan_ext: SPARNet, SPARNetHD, RDN and PGAN as a PaddleGAN plugin."""
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def requirements():
    with open(os.path.join(HERE, 'requirements.txt')) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


setup(
    name='ppgan_ext',
    version='0.1.0',
    description='SPARNet, SPARNetHD, RDN and PGAN for PaddleGAN (ppgan 2.1.0)',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['ppgan_ext', 'ppgan_ext.*']),
    python_requires='>=3.11',
    # ppgan==2.1.0 must be installed with `pip install --no-deps ppgan==2.1.0`
    # (its pins do not install on Python 3.11); `make install` does both.
    install_requires=requirements(),
    extras_require={'test': ['pytest'], 'onnx': ['paddle2onnx', 'onnxruntime']},
)
