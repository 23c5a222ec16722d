"""The one exception type germinate raises for problems a user can act on.

The CLI turns it into a single line on stderr and exit code 2; anything else is a bug.
"""


class GerminateError(Exception):
    """A problem with input, configuration or a dependency, explained in one line."""

    def __init__(self, message: str) -> None:
        # Keep it to one line: the CLI prints exactly this.
        super().__init__(" ".join(str(message).split()))


def first_error(exc) -> tuple[str, str]:
    """(dotted key, message) of a pydantic ValidationError's first error, for one-line errors."""
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]), err["msg"]
