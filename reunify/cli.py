"""The `reunify` command: Django's manage.py under the product's name.

`reunify serve`, `reunify demo`, `reunify createuser`, `reunify token create USERNAME` and
`reunify audit verify` are management commands of the apps; every other Django command
(`reunify migrate`, `reunify check --deploy`, …) passes straight through.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunify.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "reunify"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
