"""The one `germinate` Typer app, its shared options, and the helpers every command uses.

The command modules (`pipeline_commands`, `ops_commands`) register on `app`; `germinate.cli`
imports both and runs it. Flows are imported by the commands that run them, not here: they pull
in Prefect and the engines (~6 s on 2 cores), which `inspect` or `runs` never need.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

import typer

from core import console_logging, runtime_env
from core.config import PipelineConfig, load_config, parse_override
from core.paths import data_root as resolve_root
from core.store import RunDir

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grow instruction-tuning data with a self-instructing teacher.")
model_app = typer.Typer(no_args_is_help=True, help="Embedded models.")
teacher_app = typer.Typer(no_args_is_help=True, help="The teacher model's server.")
server_app = typer.Typer(no_args_is_help=True, help="A local Prefect server.")
app.add_typer(model_app, name="model")
app.add_typer(teacher_app, name="teacher")
app.add_typer(server_app, name="server")
# germinate's own output: the terminal, also while the libraries' output goes to the log file.
out = console_logging.terminal

ConfigOpt = typer.Option(None, "--config", "-c", help="germinate.yaml (defaults if omitted)")
RootOpt = typer.Option(None, "--data-root", help="Data root (default $GERMINATE_HOME or ./germinate-data)")
SetOpt = typer.Option([], "--set", help="Override a config key, e.g. generate.num_instructions=50")
VerboseOpt = typer.Option(False, "--verbose", "-v",
                          help="Show the libraries' own output (warnings, progress bars) here, not in the log file")


def read_config(path: Optional[Path], sets: list[str], extra: list[tuple[str, Any]] = ()) -> PipelineConfig:
    """The config file (or the defaults) with `--set key=value` and command options applied."""
    overrides = [parse_override(s) for s in sets] + list(extra)
    return load_config(path, overrides)


def start(root: Optional[Path], verbose: bool = False) -> Path:
    """Resolve the data root, set the process environment and send the libraries' output to the
    data root's log (a run's own log once there is one: `failing`). Call it before importing a
    flow: Prefect (like vLLM) reads its settings when first imported."""
    resolved = resolve_root(root)
    runtime_env.configure(resolved)
    console_logging.configure(resolved / console_logging.LOG_NAME, verbose)
    return resolved


@contextmanager
def failing(run_dir: RunDir) -> Iterator[None]:
    """Hold the run's lock while a command works on it and log to the run's `log.txt`; a flow
    that raises marks the run "failed", Ctrl-C or SIGTERM marks it "interrupted" with its stage
    (`RunDir.guard`); either way the error goes on and `germinate resume` continues the run."""
    with run_dir.guard():
        console_logging.to_log(run_dir.file(console_logging.RUN_LOG_NAME))
        yield
