"""Where the systemctl outputs recorded from a real systemd are, and when they were recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "systemctl"
RECORDED_AT = datetime.fromtimestamp(int((FIXTURES / "recorded-at.txt").read_text()), UTC)
