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
    if args[1:2] != ["serve"]:
        # An operator's command (migrate, audit verify, a restore) may run one long statement;
        # the statement timeout is for requests, which a person is waiting on.
        os.environ.setdefault("REUNIFY_DB_STATEMENT_TIMEOUT_MS", "0")
    args[0] = "reunify"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
