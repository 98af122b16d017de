"""The one map from check name to its function, its command line and its part in the demo, read by every caller."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple


class DemoCommand(NamedTuple):
    """One command line of `cronchecks demo`'s tour for a check, run against the demo service.

    `argv` is what follows the check's program (`check-NAME`). The tour fills in, with
    str.format (so a literal brace is doubled): {url} the service's base URL, {address} its
    host:port, {folder} the folder of its heartbeat file (worker.beat), log (app.log),
    configuration (app.conf) and static/ files, and {service} a pattern of its command line.
    """

    argv: tuple[str, ...]
    healthy: int  # the exit code expected while the service is healthy
    broken: int | None = None  # the exit code once it is broken; None: not run again then


class CheckSpec(NamedTuple):
    """Where a check lives. Paths are strings so that nothing is imported until used."""

    name: str
    label: str
    function: str  # "module:function", the check itself: (options, runtime) -> Result
    command: str  # "module:function", the typer command that declares its options
    options: str  # "module:function", its options read from OptionValues (the command line's or a suite's)
    threshold_unit: str  # how -w/-c are read: number, duration, size, percent
    help: str
    demo: tuple[DemoCommand, ...] = ()  # its commands in the demo's tour, in order

    def load_function(self) -> Callable[..., Any]:
        return _load(self.function)

    def load_command(self) -> Callable[..., Any]:
        return _load(self.command)

    def load_options(self) -> Callable[..., Any]:
        return _load(self.options)


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
            options="cronchecks.http.arguments:read_options",
            threshold_unit="duration",
            help="Check an HTTP(S) endpoint: status, body, JSON, response time, certificate.",
            demo=(
                DemoCommand(("{url}/health", "--expect-json", '$.status == "healthy"', "--expect-json",
                             '$.checks.database == "OK"', "-w", "500ms", "-c", "2s"), healthy=0, broken=2),
                DemoCommand(("{url}/slow", "-w", "100ms", "-c", "2s"), healthy=1),
            ),
        ),
        CheckSpec(
            name="heartbeat",
            label="HEARTBEAT",
            function="cronchecks.heartbeat.check:check_heartbeat",
            command="cronchecks.cli.heartbeat:heartbeat",
            options="cronchecks.heartbeat.arguments:read_options",
            threshold_unit="duration",
            help="Check that a heartbeat (file, timestamp, JSON field, SQL value) is fresh.",
            demo=(
                DemoCommand(("--file", "{folder}/worker.beat", "-w", "30s", "-c", "2m"), healthy=0, broken=2),
                DemoCommand(("--url", "{url}/health", "--json-path", "$.lastHeartbeatAt", "-w", "30s", "-c", "2m"),
                            healthy=0, broken=2),
            ),
        ),
        CheckSpec(
            name="log",
            label="LOG",
            function="cronchecks.log.check:check_log",
            command="cronchecks.cli.log:log",
            options="cronchecks.log.arguments:read_options",
            threshold_unit="number",
            help="Count lines matching patterns in log files.",
            demo=(
                DemoCommand(("{folder}/app.log", "--pattern", "CRITICAL", "--since", "10m", "-w", "1", "-c", "5"),
                            healthy=0, broken=2),
            ),
        ),
        CheckSpec(
            name="service",
            label="SERVICE",
            function="cronchecks.service.check:check_service",
            command="cronchecks.cli.service:service",
            options="cronchecks.service.arguments:read_options",
            threshold_unit="duration",  # a --timer's age; read_options refuses units on process counts
            help="Check that a service, process or port is up.",
            demo=(DemoCommand(("--cmdline", "{service}", "--port", "{address}"), healthy=0),),
        ),
        CheckSpec(
            name="integrity",
            label="INTEGRITY",
            function="cronchecks.integrity.check:check_integrity",
            command="cronchecks.cli.integrity:integrity",
            options="cronchecks.integrity.arguments:read_options",
            threshold_unit="number",
            help="Check files against a manifest, or data with a query or an audit command.",
            demo=(
                DemoCommand(("--create", "--manifest", "{folder}/files.sha256", "{folder}/app.conf", "{folder}/static"),
                            healthy=0),
                DemoCommand(("--manifest", "{folder}/files.sha256"), healthy=0, broken=2),
            ),
        ),
    )
}
