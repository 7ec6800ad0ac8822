"""A small JSON "recipe" file marking a generated dataset folder as complete.

Builders write it last, so a folder without it (or with another recipe) is
rebuilt; a folder with it is reused as is.
"""
import json
import os

__all__ = ['is_built', 'write_stamp']

STAMP = 'built_from.json'


def is_built(folder, recipe):
    """True if ``folder`` was completely built from exactly ``recipe``."""
    try:
        with open(os.path.join(folder, STAMP)) as f:
            return json.load(f) == recipe
    except (OSError, ValueError):
        return False


def write_stamp(folder, recipe):
    with open(os.path.join(folder, STAMP), 'w') as f:
        json.dump(recipe, f)
