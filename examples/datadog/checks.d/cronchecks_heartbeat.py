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

from cronchecks.core.errors import UsageError
from cronchecks.core.execute import execute
from cronchecks.core.invocation import CheckInvocation, build_invocation
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.values import OptionValues
from cronchecks.heartbeat.check import check_heartbeat

# Datadog's service-check states have the Nagios numbers: 0 OK ... 3 UNKNOWN.
SERVICE_CHECK_STATES = {
    Status.OK: AgentCheck.OK,
    Status.WARNING: AgentCheck.WARNING,
    Status.CRITICAL: AgentCheck.CRITICAL,
    Status.UNKNOWN: AgentCheck.UNKNOWN,
}


# Keys of an instance that are the Agent's or this file's, not check-heartbeat options.
AGENT_KEYS = ("name", "tags", "min_collection_interval", "service", "empty_default_hostname")


def heartbeat_invocation(instance: dict) -> CheckInvocation:
    """The instance's other keys are check-heartbeat's long option names, read as a suite file's keys are."""
    values = {key.replace("_", "-"): value for key, value in instance.items() if key not in AGENT_KEYS}
    return build_invocation("heartbeat", OptionValues(values, "check-heartbeat", env={}))


def datadog_submissions(result: Result, name: str, tags: list[str]) -> list[tuple]:
    """What one Result becomes in Datadog, as tuples the check hands to the Agent:
    ("service_check", name, state, tags, message) and ("gauge", name, value, tags)."""
    tags = [f"check:{name}", *tags]
    submissions: list[tuple] = [
        ("service_check", "cronchecks.heartbeat", SERVICE_CHECK_STATES[result.status], tags, result.summary),
        ("gauge", "cronchecks.heartbeat.up", 1 if result.status is Status.OK else 0, tags),
    ]
    submissions += [("gauge", f"cronchecks.heartbeat.{datum.label}", datum.value, tags)
                    for datum in result.perfdata if datum.value is not None]  # None: 'U', not measured
    return submissions


class CronchecksHeartbeatCheck(AgentCheck):
    def check(self, instance):
        name = instance.get("name") or instance.get("file") or "heartbeat"
        tags = list(instance.get("tags") or [])
        try:
            invocation = heartbeat_invocation(instance)
        except UsageError as error:  # a bad range, duration or key in conf.yaml
            result = Result(Status.UNKNOWN, f"invalid configuration: {error}")
        else:
            standard = invocation.standard
            result = execute(check_heartbeat, invocation.options, Runtime(), standard.timeout,
                             standard.timeout_result).result
        for kind, *arguments in datadog_submissions(result, name, tags):
            if kind == "service_check":
                metric, state, metric_tags, message = arguments
                self.service_check(metric, state, tags=metric_tags, message=message)
            else:
                metric, value, metric_tags = arguments
                self.gauge(metric, value, tags=metric_tags)
