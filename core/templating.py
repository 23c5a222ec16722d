"""The one Jinja environment: the teacher's and the judge's prompts, and report.html.

Templates are named by their path from the packages' root ("generators/prompts/x.jinja").
Undefined variables are errors, so a renamed field cannot render an empty prompt. Only
`*.html.jinja` autoescapes: teacher text in a web page is untrusted, while escaping a prompt
would change what the model is asked (`&lt;` is not `<`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

PACKAGES_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGES_ROOT),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.jinja",), default=False),
        keep_trailing_newline=False,
    )


def template(name: str) -> jinja2.Template:
    """The template at `name`, a path from the packages' root (cached after the first load)."""
    return _environment().get_template(name)
