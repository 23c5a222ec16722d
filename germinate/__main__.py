"""`python -m germinate ...` is the `germinate` command."""

import sys

from germinate.cli import main

sys.exit(main())
