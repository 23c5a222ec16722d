"""The one `germinate` Typer app, its shared options, and the helpers every command uses.

The command modules (`pipeline_commands`, `ops_commands`) register on `app`; `germinate.cli`
imports both and runs it. Flows are imported by the commands that run them, not here: they pull
in Prefect and the engines (~6 s on 2 cores), which `inspect` or `runs` never need.
"""

from __future__ import annotations

from pathlib import Path
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


class failing:
    """Hold the run's lock, log to the run's `log.txt`; mark the run failed (resumable) when its
    flow raises, then let the error through."""

    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir
        self._lock = run_dir.lock()

    def __enter__(self) -> "failing":
        self._lock.__enter__()
        console_logging.to_log(self.run_dir.file(console_logging.RUN_LOG_NAME))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is not None:
                self.run_dir.update_status(status="failed", error=str(exc) or exc_type.__name__)
        finally:
            self._lock.__exit__(exc_type, exc, tb)
        return False
