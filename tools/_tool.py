"""What every tool does before its ``main()``, in one place.

``python tools/<name>.py`` puts ``tools/`` first on ``sys.path``, so each
tool's ``__main__`` block does ``import _tool; _tool.run(main)``: the
repository goes on ``sys.path`` (the tools run from a clone, installed or
not), the known third-party noise is silenced (``quiet``) before Paddle is
imported, then ``main()`` runs and its return value is the exit code.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(main):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tools.quiet import quiet_third_party
    quiet_third_party()
    sys.exit(main())
