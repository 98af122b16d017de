"""`python -m checks ...` is `cronchecks ...` (for machines where the console scripts are not on PATH)."""

import sys

from checks.cli import main

sys.exit(main())
