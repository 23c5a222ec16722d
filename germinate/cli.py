"""`germinate` command line. Problems a user can fix print one line on stderr and exit 2."""

from __future__ import annotations

import sys

import typer

try:  # typer >= 0.26 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc

from core.errors import GerminateError
from germinate.app import app

# Importing the command modules registers their commands on the one app, in this order.
from germinate import pipeline_commands  # noqa: F401  # isort: skip
from germinate import ops_commands  # noqa: F401  # isort: skip
from germinate import review_commands  # noqa: F401  # isort: skip


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="germinate",
                     standalone_mode=False)
    except GerminateError as exc:
        print(f"germinate: error: {exc}", file=sys.stderr)
        return 2
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "usage: germinate COMMAND ...")
        return 0
    except click_exc.UsageError as exc:
        print(f"germinate: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except click_exc.ClickException as exc:
        print(f"germinate: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only data root: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"germinate: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("germinate: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
