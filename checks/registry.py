"""The one map from check name to its function and its command line, read by every caller."""

from __future__ import annotations

import importlib
from typing import Any, Callable, NamedTuple


class CheckSpec(NamedTuple):
    """Where a check lives. Paths are strings so that nothing is imported until used."""

    name: str
    label: str
    function: str  # "module:function", the check itself: (options, runtime) -> Result
    command: str  # "module:function", the typer command that builds its options
    threshold_unit: str  # how -w/-c are read: number, duration, size, percent
    help: str

    def load_function(self) -> Callable[..., Any]:
        return _load(self.function)

    def load_command(self) -> Callable[..., Any]:
        return _load(self.command)


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


CHECKS: dict[str, CheckSpec] = {
    spec.name: spec
    for spec in (
        CheckSpec(
            name="http",
            label="HTTP",
            function="checks.http:check_http",
            command="checks.cli.http:http",
            threshold_unit="duration",
            help="Check an HTTP(S) endpoint: status, body, JSON, response time, certificate.",
        ),
        CheckSpec(
            name="heartbeat",
            label="HEARTBEAT",
            function="checks.heartbeat:check_heartbeat",
            command="checks.cli.heartbeat:heartbeat",
            threshold_unit="duration",
            help="Check that a heartbeat (file, timestamp, JSON field, SQL value) is fresh.",
        ),
        CheckSpec(
            name="log",
            label="LOG",
            function="checks.logpattern:check_log",
            command="checks.cli.log:log",
            threshold_unit="number",
            help="Count lines matching patterns in log files.",
        ),
        CheckSpec(
            name="service",
            label="SERVICE",
            function="checks.service:check_service",
            command="checks.cli.service:service",
            threshold_unit="number",
            help="Check that a service, process or port is up.",
        ),
        CheckSpec(
            name="integrity",
            label="INTEGRITY",
            function="checks.integrity:check_integrity",
            command="checks.cli.integrity:integrity",
            threshold_unit="number",
            help="Check files against a manifest, or data with a query or an audit command.",
        ),
    )
}
