"""SPARNetHD's training-parity cases run in float32, reported, not asserted.

``tests/models/test_sparnethd_train_parity.py`` runs the two SPARNetHD cases
in float64 (see its docstring: a few elements sit on a LeakyReLU kink where
float32 rounding decides the sign of Adam's first step). This prints what
the same three iterations give in float32, the dtype training uses, as the
tests' tables (``pytest --train-parity-table``) with the elements beyond
their tolerance counted.

Usage (from the repository root; about a minute per case on 2 CPU cores):
  python benchmarks/train_parity_float32.py
  python benchmarks/train_parity_float32.py train_sparnethd_64_ema05
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ppgan_ext.io.checkpoint import save_checkpoint  # noqa: E402
from tests.models.test_sparnethd_train_parity import (  # noqa: E402
    CASES, LOSSES, NETS, overrides)
from tests.train_parity import (Case, config_model, format_table,  # noqa
                                train_and_check, vgg19_recipe_state)


def main(names):
    with tempfile.TemporaryDirectory() as tmp:
        vgg = os.path.join(tmp, 'vgg19_recipe.pdparams')
        for name in names:
            case = Case(name)
            if not os.path.exists(vgg):
                save_checkpoint(dict(vgg19_recipe_state(
                    case.json['vgg19_recipe'])), vgg)
            _, model = config_model('sparnethd_attn2d.yaml',
                                    overrides(case, vgg))
            train_and_check(case, model, NETS, case.batch, LOSSES,
                            strict=False)
    print(format_table())


if __name__ == '__main__':
    main(sys.argv[1:] or CASES)
