"""A Datadog Agent custom check that calls cronchecks' heartbeat check in-process.

The Agent's embedded Python runs it every `min_collection_interval` seconds: no
process is started per run. Install cronchecks into that Python first:

    sudo -u dd-agent /opt/datadog-agent/embedded/bin/pip install cronchecks

then copy this file to /etc/datadog-agent/checks.d/ and conf.d/cronchecks_heartbeat.d/
to /etc/datadog-agent/conf.d/, and restart the Agent. Each instance sends:

- the service check `cronchecks.heartbeat` (OK, WARNING, CRITICAL, UNKNOWN as the
  command would exit) with the summary line as its message;
- the gauge `cronchecks.heartbeat.age` (seconds) and `cronchecks.heartbeat.up` (1 when
  OK, else 0), tagged `check:<name>` and with the instance's tags.
"""

from datadog_checks.base import AgentCheck

from cronchecks.core.execute import execute
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_duration, parse_range
from cronchecks.heartbeat.check import HeartbeatOptions, check_heartbeat

# Datadog's service-check states have the Nagios numbers: 0 OK ... 3 UNKNOWN.
SERVICE_CHECK_STATES = {
    Status.OK: AgentCheck.OK,
    Status.WARNING: AgentCheck.WARNING,
    Status.CRITICAL: AgentCheck.CRITICAL,
    Status.UNKNOWN: AgentCheck.UNKNOWN,
}


def heartbeat_options(instance: dict) -> HeartbeatOptions:
    """The instance's keys as the options check-heartbeat would parse from its command line."""
    def range_of(key: str):
        return parse_range(str(instance[key]), "duration") if instance.get(key) is not None else None

    return HeartbeatOptions(
        file=instance.get("file"),
        content=bool(instance.get("content", False)),
        schedule=instance.get("schedule"),
        grace=parse_duration(str(instance.get("grace", "0"))),
        tz=instance.get("tz"),
        warning=range_of("warning"),
        critical=range_of("critical"),
    )


def datadog_submissions(result: Result, name: str, tags: list[str]) -> list[tuple]:
    """What one Result becomes in Datadog, as tuples the check hands to the Agent:
    ("service_check", name, state, tags, message) and ("gauge", name, value, tags)."""
    tags = [f"check:{name}", *tags]
    submissions: list[tuple] = [
        ("service_check", "cronchecks.heartbeat", SERVICE_CHECK_STATES[result.status], tags, result.summary),
        ("gauge", "cronchecks.heartbeat.up", 1 if result.status is Status.OK else 0, tags),
    ]
    for datum in result.perfdata:
        if datum.value is not None:  # 'U': not measured, e.g. no heartbeat at all
            submissions.append(("gauge", f"cronchecks.heartbeat.{datum.label}", datum.value, tags))
    return submissions


class CronchecksHeartbeatCheck(AgentCheck):
    def check(self, instance):
        name = instance.get("name") or instance.get("file") or "heartbeat"
        tags = list(instance.get("tags") or [])
        try:
            options = heartbeat_options(instance)
        except ValueError as error:  # a bad range or duration in conf.yaml
            result = Result(Status.UNKNOWN, f"invalid configuration: {error}")
        else:
            timeout = parse_duration(str(instance.get("timeout", "10s")))
            result = execute(check_heartbeat, options, Runtime(), timeout).result
        for kind, *arguments in datadog_submissions(result, name, tags):
            if kind == "service_check":
                metric, state, metric_tags, message = arguments
                self.service_check(metric, state, tags=metric_tags, message=message)
            else:
                metric, value, metric_tags = arguments
                self.gauge(metric, value, tags=metric_tags)
