"""`germinate` command line. Problems a user can fix print one line on stderr and exit 2."""

from __future__ import annotations

import sys
import traceback

import typer

try:  # typer >= 0.26 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc

from core import console_logging
from core.errors import GerminateError
from germinate.app import app

# Importing the command modules registers their commands on the one app, in this order.
from germinate import pipeline_commands  # noqa: F401  # isort: skip
from germinate import ops_commands  # noqa: F401  # isort: skip
from germinate import review_commands  # noqa: F401  # isort: skip


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(argv)
    finally:
        console_logging.reset()  # the streams as they were (tests call main() many times)


def _run(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    # Errors go to the person's stderr even while the libraries' stderr goes to a log file.
    say = console_logging.error_line
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="germinate",
                     standalone_mode=False)
    except GerminateError as exc:
        say(f"germinate: error: {exc}")
        return 2
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "usage: germinate COMMAND ...")
        return 0
    except click_exc.UsageError as exc:
        say(f"germinate: error: {exc.format_message()}")
        return 2
    except click_exc.ClickException as exc:
        say(f"germinate: error: {exc.format_message()}")
        return 2
    except OSError as exc:  # a full disk, a read-only data root: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        say(f"germinate: error: {exc.strerror or exc}{where}")
        return 2
    except KeyboardInterrupt:
        say("germinate: interrupted")
        return 130
    except Exception as exc:
        log = console_logging.log_path()
        if log is None:  # --verbose, or before any log: the traceback as Python prints it
            raise
        console_logging.write_log(traceback.format_exc())
        say(f"germinate: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            f"(traceback in {log})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
