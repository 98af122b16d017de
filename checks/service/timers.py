"""check-service's systemd timers: when each last fired, when it fires next, and whether it is dead."""

from __future__ import annotations

from datetime import datetime

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import ParseError, Range, format_duration, judge, parse_duration
from cronchecks.service.findings import Finding, perf_label
from cronchecks.service.systemd import load_problem, parse_systemd_timestamp, show_units

TIMER_PROPERTIES = ("LoadState", "ActiveState", "SubState", "Unit", "LastTriggerUSec", "NextElapseUSecRealtime",
                    "NextElapseUSecMonotonic", "AccuracyUSec", "RandomizedDelayUSec", "ActiveEnterTimestamp")

# Past its next elapse by its accuracy and randomized delay, a timer may still be about to
# fire (a busy host, a resume from suspend); a minute more than those before calling it dead.
GRACE = 60.0

_OTHER_UNIT_TYPES = (".service", ".socket", ".target", ".mount", ".automount", ".path", ".slice", ".scope",
                     ".device", ".swap")


def timer_unit(name: str) -> str:
    """`backup` and `backup.timer` are the timer backup.timer; another unit type is a mistake."""
    name = name.strip()
    if not name:
        raise UsageError("--timer needs a timer's name")
    if name.endswith(".timer"):
        return name
    if name.endswith(_OTHER_UNIT_TYPES):
        raise UsageError(f"--timer {name}: not a timer (use --systemd for other units)")
    return name + ".timer"


def _timespan(text: str | None) -> float:
    # systemd's own spans (`1min`, `1h 30min`, `500ms`, `0`); one worded otherwise (`1month`) counts as none.
    try:
        return max(0.0, parse_duration(text or "0"))
    except ParseError:
        return 0.0


def judge_timer(unit: str, properties: dict[str, str], now: datetime, warning: Range | None,
                critical: Range | None, several: bool) -> Finding:
    """A timer from its `systemctl show` properties: -w/-c are ranges on the age of its last trigger."""
    label = perf_label("last_trigger", unit, several)
    last = parse_systemd_timestamp(properties.get("LastTriggerUSec"))
    # A trigger "after now" is a clock that differs from systemd's by a little: it fired just now.
    age = max(0.0, (now - last).total_seconds()) if last is not None else None
    perfdata = (Perfdata(label, None if age is None else round(age, 3), "s", warning, critical, 0),)
    next_real = parse_systemd_timestamp(properties.get("NextElapseUSecRealtime"))
    monotonic = (properties.get("NextElapseUSecMonotonic") or "").strip()
    has_monotonic = monotonic not in ("", "0", "infinity")
    next_shown = properties.get("NextElapseUSecRealtime") or (monotonic if has_monotonic else "none")
    details = [f"{unit}: last trigger {properties.get('LastTriggerUSec') or 'never'}, next elapse {next_shown}"
               + (f", runs {properties['Unit']}" if properties.get("Unit") else "")]
    problem = load_problem(unit, properties.get("LoadState", ""), perfdata, tuple(details))
    if problem is not None:
        return problem
    active, sub = properties.get("ActiveState", ""), properties.get("SubState", "")
    if active != "active":
        return Finding(Status.CRITICAL, f"{unit} {active or 'in no known state'}"
                       + (f" ({sub})" if sub and sub != active else "") + ": it will not fire", perfdata,
                       tuple(details))
    last_words = f"last triggered {format_duration(age)} ago" if age is not None else "never triggered"
    if next_real is not None:
        late = (now - next_real).total_seconds()
        slack = _timespan(properties.get("AccuracyUSec")) + _timespan(properties.get("RandomizedDelayUSec")) + GRACE
        if late > slack:
            return Finding(Status.CRITICAL, f"{unit} is dead: its next elapse was {format_duration(late)} ago "
                           f"({properties.get('NextElapseUSecRealtime')}), {last_words}", perfdata, tuple(details))
        next_words = f"next in {format_duration(-late)}" if late < 0 else "due now"
    elif has_monotonic:
        next_words = f"next at {monotonic} after boot"
    elif sub == "running":
        next_words = f"its unit {properties.get('Unit') or ''} is running".replace("  ", " ")
    else:
        return Finding(Status.CRITICAL, f"{unit} is dead ({sub or active}): it will not fire again, {last_words}",
                       perfdata, tuple(details))
    status = Status.OK
    text = f"{unit} {last_words}, {next_words}"
    if age is not None:
        status = judge(age, warning, critical)
    elif warning is not None or critical is not None:
        # Never triggered: how long it has been waiting says whether it should have by now.
        since = parse_systemd_timestamp(properties.get("ActiveEnterTimestamp"))
        waiting = (now - since).total_seconds() if since is not None else 0.0
        status = judge(waiting, warning, critical)
        text = f"{unit} never triggered in {format_duration(waiting)} since it started, {next_words}"
    if status is not Status.OK:
        breached = critical if status is Status.CRITICAL else warning
        assert breached is not None
        text += f" ({status.name.lower()} {breached.describe(format_duration)})"
    return Finding(status, text, perfdata, tuple(details))


def timer_findings(timers: tuple[str, ...], warning: Range | None, critical: Range | None, runtime: Runtime,
                   user_units: bool = False) -> list[Finding]:
    """One finding per timer, from one `systemctl show` call for all of them."""
    units = tuple(dict.fromkeys(timer_unit(name) for name in timers))
    blocks = show_units(units, TIMER_PROPERTIES, runtime, user_units)
    now = runtime.now()
    several = len(units) > 1
    return [judge_timer(unit, block, now, warning, critical, several)
            for unit, block in zip(units, blocks, strict=True)]
