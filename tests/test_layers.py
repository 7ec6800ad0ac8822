"""No upward import: every module of ppgan_ext imports from lower floors
(ARCHITECTURE.md's ``floors`` block) or from its own package only."""
import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'ppgan_ext'


def read_floors(path=os.path.join(ROOT, 'ARCHITECTURE.md')):
    """``{unit: floor}`` from the fenced ``floors`` block (lines
    ``<floor> <unit> <unit> ...``; units relative to the package, the
    package itself as ``ppgan_ext``)."""
    text = open(path, encoding='utf-8').read()
    block = re.search(r'```floors\n(.*?)```', text, re.S)
    assert block, f'{path}: no ```floors block'
    floors = {}
    for line in block.group(1).splitlines():
        if line.strip():
            level, *units = line.split()
            for unit in units:
                floors[unit] = int(level)
    return floors


def package_modules(root=ROOT):
    """``{dotted module name: file}`` of every module in the package."""
    mods = {}
    for folder, _, files in os.walk(os.path.join(root, PACKAGE)):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, root)[:-3].replace(os.sep, '.')
                mods[dotted.removesuffix('.__init__')] = path
    return mods


def _target(module, is_package, node):
    if not node.level:
        return node.module
    base = module.split('.')
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return '.'.join(base + ([node.module] if node.module else []))


def import_edges(mods):
    """``(importer, imported)`` pairs inside the package (a ``from X import
    y`` counts as importing ``X.y`` when that is a module)."""
    edges = set()
    for module, path in mods.items():
        tree = ast.parse(open(path, encoding='utf-8').read(), path)
        is_package = path.endswith('__init__.py')
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges |= {(module, a.name) for a in node.names
                          if a.name.split('.')[0] == PACKAGE}
            elif isinstance(node, ast.ImportFrom):
                base = _target(module, is_package, node)
                if base.split('.')[0] != PACKAGE:
                    continue
                for alias in node.names:
                    sub = f'{base}.{alias.name}'
                    edges.add((module, sub if sub in mods else base))
    return edges


def unit_of(module, floors):
    """The longest floor unit that ``module`` is (in), or None."""
    rel = module[len(PACKAGE) + 1:] if module != PACKAGE else PACKAGE
    best = None
    for unit in floors:
        if rel == unit or rel.startswith(unit + '.'):
            if best is None or len(unit) > len(best):
                best = unit
    return best


def violations(edges, floors):
    bad = []
    for importer, imported in sorted(edges):
        a, b = unit_of(importer, floors), unit_of(imported, floors)
        if a != b and floors[b] >= floors[a]:
            bad.append(f'{importer} (floor {floors[a]}) imports {imported} '
                       f'(floor {floors[b]})')
    return bad


@pytest.fixture(scope='module')
def floors():
    return read_floors()


def test_every_module_has_a_floor(floors):
    homeless = [m for m in package_modules() if unit_of(m, floors) is None]
    assert not homeless, f'add to ARCHITECTURE.md floors: {homeless}'


def test_no_upward_or_sideways_import(floors):
    edges = import_edges(package_modules())
    assert len(edges) > 100  # the scan sees the package's imports
    assert violations(edges, floors) == []


def test_the_check_sees_a_wrong_import(floors, tmp_path):
    """A lower floor importing a higher one, and two packages of one floor
    importing each other, are both reported."""
    pkg = tmp_path / PACKAGE
    for sub in ('io', 'models', 'engine', 'deploy'):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / '__init__.py').write_text('')
    (pkg / '__init__.py').write_text('')
    (pkg / 'io' / 'images.py').write_text('from ..models import base\n')
    (pkg / 'models' / 'base.py').write_text('from ..io import images\n')
    (pkg / 'engine' / 'trainer.py').write_text(
        'from ppgan_ext.deploy import export\n')
    (pkg / 'deploy' / 'export.py').write_text('import ppgan_ext.io.images\n')
    bad = violations(import_edges(package_modules(str(tmp_path))), floors)
    assert len(bad) == 2, bad
    assert bad[0].startswith('ppgan_ext.engine.trainer (floor 6) imports '
                             'ppgan_ext.deploy')
    assert bad[1].startswith('ppgan_ext.io.images (floor 2) imports '
                             'ppgan_ext.models')
