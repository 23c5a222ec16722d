"""The one `germinate` Typer app, its shared options, and the helpers every command uses.

The command modules (`pipeline_commands`, `ops_commands`) register on `app`; `germinate.cli`
imports both and runs it. Flows are imported by the commands that run them, not here: they pull
in Prefect and the engines (~6 s on 2 cores), which `inspect` or `runs` never need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ContextManager, Optional

import typer
from rich.console import Console

from core import runtime_env
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
out = Console()

ConfigOpt = typer.Option(None, "--config", "-c", help="germinate.yaml (defaults if omitted)")
RootOpt = typer.Option(None, "--data-root", help="Data root (default $GERMINATE_HOME or ./germinate-data)")
SetOpt = typer.Option([], "--set", help="Override a config key, e.g. generate.num_instructions=50")


def read_config(path: Optional[Path], sets: list[str], extra: list[tuple[str, Any]] = ()) -> PipelineConfig:
    """The config file (or the defaults) with `--set key=value` and command options applied."""
    overrides = [parse_override(s) for s in sets] + list(extra)
    return load_config(path, overrides)


def start(root: Optional[Path]) -> Path:
    """Resolve the data root and set the process environment. Call it before importing a flow:
    Prefect (like vLLM) reads its settings when first imported."""
    resolved = resolve_root(root)
    runtime_env.configure(resolved)
    return resolved


def failing(run_dir: RunDir) -> ContextManager[None]:
    """Hold the run's lock while a command works on it; a flow that raises marks the run
    "failed", Ctrl-C or SIGTERM marks it "interrupted" with its stage (`RunDir.guard`); either
    way the error goes on and `germinate resume` continues the run."""
    return run_dir.guard()
