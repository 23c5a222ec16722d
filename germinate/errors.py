"""The one exception type germinate raises for problems a user can act on.

The CLI turns it into a single line on stderr and exit code 2; anything else is a bug.
"""


class GerminateError(Exception):
    """A problem with input, configuration or a dependency, explained in one line."""

    def __init__(self, message: str) -> None:
        # Keep it to one line: the CLI prints exactly this.
        super().__init__(" ".join(str(message).split()))
