"""`python -m modeswitch`: the same as the `modeswitch` command."""

import sys

from modeswitch.cli.client import main

sys.exit(main())
