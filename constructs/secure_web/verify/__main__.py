"""``python -m secure_web.verify``: see ``cli``."""

import sys

from .cli import main

sys.exit(main())
