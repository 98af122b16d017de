"""check-service's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.thresholds import parse_duration, parse_percent, parse_size
from cronchecks.core.values import OptionValues
from cronchecks.service.options import ServiceOptions
from cronchecks.service.tcpoptions import read_probe


def read_options(values: OptionValues) -> ServiceOptions:
    """ServiceOptions from option values; a bad value is an OptionError naming its option."""
    return ServiceOptions(
        systemd=values.texts("systemd"),
        restarts_warning=values.whole("restarts-warning"),
        processes=values.texts("process"),
        cmdline=values.text("cmdline"),
        user=values.text("user"),
        pidfiles=values.texts("pidfile"),
        memory_warning=values.parsed("memory-warning", parse_size),
        memory_critical=values.parsed("memory-critical", parse_size),
        cpu_warning=values.parsed("cpu-warning", parse_percent),
        cpu_critical=values.parsed("cpu-critical", parse_percent),
        cpu_interval=values.parsed("cpu-interval", parse_duration, 0.5) or 0.0,
        ports=values.texts("port"),
        probe=read_probe(values),
        windows_services=values.texts("windows-service"),
    )
