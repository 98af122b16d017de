"""check-service's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from functools import partial

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import Range, parse_duration, parse_range
from cronchecks.core.values import OptionError, OptionValues
from cronchecks.service.options import ServiceOptions
from cronchecks.service.tcpoptions import read_probe


def read_options(values: OptionValues) -> ServiceOptions:
    """ServiceOptions from option values; a bad value is an OptionError naming its option."""
    from cronchecks.service.processes import parse_states
    from cronchecks.service.systemd import EXPECT_STATES

    timers = values.texts("timer")
    if not timers:
        # -w/-c are read as durations (a --timer's age); on process counts a unit means a mistake.
        for name, flag in (("warning", "-w/--warning"), ("critical", "-c/--critical")):
            values.parsed(name, partial(parse_range, unit="number"), flag=flag)
    try:
        states = parse_states(values.texts("state"))
    except UsageError as error:
        raise OptionError("state", error.message.removeprefix("invalid --state ")) from None
    return ServiceOptions(
        systemd=values.texts("systemd"),
        restarts_warning=values.whole("restarts-warning"),
        expect_state=values.choice("expect-state", EXPECT_STATES, "active"),
        timers=timers,
        failed_units=values.flag("failed-units"),
        unit_excludes=values.texts("unit-exclude"),
        user_units=values.flag("user-units"),
        processes=values.texts("process"),
        cmdline=values.text("cmdline"),
        user=values.text("user"),
        states=states,
        ppid=values.whole("ppid", minimum=0),
        elapsed=values.parsed("elapsed", partial(parse_range, unit="duration")),
        exclude_cmdlines=values.texts("exclude-cmdline"),
        pidfiles=values.texts("pidfile"),
        rss_warning=_aliased(values, "rss-warning", "memory-warning", "size"),
        rss_critical=_aliased(values, "rss-critical", "memory-critical", "size"),
        vsz_warning=values.parsed("vsz-warning", partial(parse_range, unit="size")),
        vsz_critical=values.parsed("vsz-critical", partial(parse_range, unit="size")),
        cpu_warning=values.parsed("cpu-warning", partial(parse_range, unit="percent")),
        cpu_critical=values.parsed("cpu-critical", partial(parse_range, unit="percent")),
        cpu_interval=values.parsed("cpu-interval", parse_duration, 0.5) or 0.0,
        ports=values.texts("port"),
        probe=read_probe(values),
        windows_services=values.texts("windows-service"),
    )


def _aliased(values: OptionValues, name: str, old_name: str, unit: str) -> Range | None:
    # --memory-* is the older name of --rss-* (the same range); both at once would be two answers.
    if values.given(name) and values.given(old_name):
        raise OptionError(old_name, f"is the older name of --{name}: give one of them")
    key = name if values.given(name) else old_name
    return values.parsed(key, partial(parse_range, unit=unit))
