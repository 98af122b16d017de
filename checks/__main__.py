"""`python -m cronchecks ...` is `cronchecks ...` (for machines where the console scripts are not on PATH)."""

import sys

from cronchecks.cli import main

sys.exit(main())
