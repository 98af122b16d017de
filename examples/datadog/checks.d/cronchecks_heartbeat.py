"""A Datadog Agent custom check that runs cronchecks' check-heartbeat and sends its result.

It calls the command, as cron and Nagios do, so cronchecks stays in its own virtual
environment and nothing is installed into the Agent's embedded Python:

    python3 -m venv /opt/cronchecks && /opt/cronchecks/bin/pip install cronchecks

then copy this file to /etc/datadog-agent/checks.d/ and conf.d/cronchecks_heartbeat.d/
to /etc/datadog-agent/conf.d/, and restart the Agent. The Agent's user (dd-agent) must
be able to read the heartbeat files. Each instance sends:

- the service check `cronchecks.heartbeat` (OK, WARNING, CRITICAL, UNKNOWN, as the
  command exits) with the summary line as its message when it is not OK (Datadog keeps
  no message on an OK service check);
- the gauge `cronchecks.heartbeat.age` (seconds) and `cronchecks.heartbeat.up` (1 when
  OK, else 0), tagged `check:<name>` and with the instance's tags.
"""

import json
import os
import subprocess

from datadog_checks.base import AgentCheck

COMMAND = "check-heartbeat"
# Keys of an instance that are the Agent's or this file's, not check-heartbeat options.
AGENT_KEYS = ("name", "tags", "min_collection_interval", "service", "empty_default_hostname")
STATES = {0: AgentCheck.OK, 1: AgentCheck.WARNING, 2: AgentCheck.CRITICAL, 3: AgentCheck.UNKNOWN}


def command_line(program, instance):
    """The instance's other keys are check-heartbeat's long options: `file: x` is `--file x`, a list
    repeats the option, `true` is a flag; the output is asked for as JSON."""
    argv = [program]
    for key, value in instance.items():
        if key in AGENT_KEYS or value is None or value is False:
            continue
        option = "--" + key.replace("_", "-")
        if value is True:
            argv.append(option)
            continue
        for item in value if isinstance(value, list) else [value]:
            argv += [option, str(item)]
    return [*argv, "--format", "json"]


def time_limit(instance):
    """check-heartbeat's own -t (10 s unless given) and a margin: the command ends itself first."""
    text = str(instance.get("timeout", "10s")).strip()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit):
            text, scale = text[: -len(unit)], units[unit]
            break
    else:
        scale = 1
    try:
        return float(text) * scale + 5
    except ValueError:
        return 15.0  # the command refuses the value itself, in one line


def run_check(argv, limit):
    """(exit code, the JSON result); a command that cannot run or answer is UNKNOWN with the reason."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit, check=False)
    except FileNotFoundError:
        return 3, {"summary": f"{argv[0]} not found: set cronchecks_bin in init_config", "perfdata": []}
    except subprocess.TimeoutExpired:
        return 3, {"summary": f"{argv[0]} did not finish within {limit:g} s", "perfdata": []}
    try:
        result = json.loads(done.stdout.decode("utf-8", "replace"))
    except ValueError:
        said = (done.stdout or done.stderr).decode("utf-8", "replace").strip().splitlines()
        return 3, {"summary": f"{argv[0]} exited {done.returncode}: {said[0] if said else 'no output'}",
                   "perfdata": []}
    code = done.returncode if done.returncode in STATES else 3
    return code, result


class CronchecksHeartbeatCheck(AgentCheck):
    def check(self, instance):
        folder = self.init_config.get("cronchecks_bin") if self.init_config else None
        program = os.path.join(folder, COMMAND) if folder else COMMAND
        name = instance.get("name") or instance.get("file") or "heartbeat"
        tags = [f"check:{name}", *(instance.get("tags") or [])]
        code, result = run_check(command_line(program, instance), time_limit(instance))
        state = STATES[code]
        message = None if state == AgentCheck.OK else str(result.get("summary") or "")
        self.service_check("cronchecks.heartbeat", state, tags=tags, message=message)
        self.gauge("cronchecks.heartbeat.up", 1 if state == AgentCheck.OK else 0, tags=tags)
        for datum in result.get("perfdata") or []:
            if isinstance(datum.get("value"), (int, float)):  # None: 'U', not measured
                self.gauge(f"cronchecks.heartbeat.{datum['label']}", datum["value"], tags=tags)
