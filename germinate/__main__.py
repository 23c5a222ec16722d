"""`python -m germinate ...` is the `germinate` command."""

from germinate.cli import run

run()
