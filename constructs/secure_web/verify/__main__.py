"""``python -m secure_web.verify``: the same command as ``secure-web verify``; see ``cli``."""

import sys

from .cli import main

sys.exit(main(prog="python -m secure_web.verify"))
