"""The `oasys` console command: Django's management commands under the product's name.

`oasys seed-demo`, `oasys audit verify`, `oasys runserver` ... Command names may be written
with dashes; they map to the underscored management command.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "oasys"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
