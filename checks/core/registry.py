"""The one map from check name to its function and its command line, read by every caller."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple


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
            function="cronchecks.http.check:check_http",
            command="cronchecks.cli.http:http",
            threshold_unit="duration",
            help="Check an HTTP(S) endpoint: status, body, JSON, response time, certificate.",
        ),
        CheckSpec(
            name="heartbeat",
            label="HEARTBEAT",
            function="cronchecks.heartbeat.check:check_heartbeat",
            command="cronchecks.cli.heartbeat:heartbeat",
            threshold_unit="duration",
            help="Check that a heartbeat (file, timestamp, JSON field, SQL value) is fresh.",
        ),
        CheckSpec(
            name="log",
            label="LOG",
            function="cronchecks.log.check:check_log",
            command="cronchecks.cli.log:log",
            threshold_unit="number",
            help="Count lines matching patterns in log files.",
        ),
        CheckSpec(
            name="service",
            label="SERVICE",
            function="cronchecks.service.check:check_service",
            command="cronchecks.cli.service:service",
            threshold_unit="number",
            help="Check that a service, process or port is up.",
        ),
        CheckSpec(
            name="integrity",
            label="INTEGRITY",
            function="cronchecks.integrity.check:check_integrity",
            command="cronchecks.cli.integrity:integrity",
            threshold_unit="number",
            help="Check files against a manifest, or data with a query or an audit command.",
        ),
    )
}
