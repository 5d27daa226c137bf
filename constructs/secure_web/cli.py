"""``secure-web``: the one command of the package.

    secure-web compliance [APP_DIR] [--synth-dir DIR] [--reports-dir DIR] [--skips FILE]
    secure-web verify --outputs FILE --region REGION [...]

Each subcommand imports only what it needs: ``verify`` runs with the ``verify`` extra
alone and never starts node; ``compliance`` needs the ``compliance`` extra and terraform.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = __doc__.split("\n\n")[1]
COMMANDS = ("compliance", "verify")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(f"usage:\n{USAGE}")
        return 0 if arguments else 2
    command, rest = arguments[0], arguments[1:]
    if command == "compliance":
        from .compliance.run import main as compliance

        return compliance(rest)
    if command == "verify":
        from .verify.cli import main as verify

        return verify(rest)
    print(f"secure-web: unknown command {command!r}; choose one of {', '.join(COMMANDS)}\nusage:\n{USAGE}",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
