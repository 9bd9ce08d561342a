"""``python -m rl_lab.cli``: the same as the ``rl-lab`` command."""

import sys

from rl_lab.cli import main

sys.exit(main())
