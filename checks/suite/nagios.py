"""Suite results written to Nagios' external command file as passive check results."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from cronchecks.core.errors import UsageError

# A FIFO takes a write of up to PIPE_BUF (4096 on Linux) in one piece; a longer one can be
# interleaved with another writer's (a second suite, nsca) and both commands are lost. Nagios
# 4.4 itself reads longer lines from a lone writer: the limit is ours, for the busy case.
LINE_LIMIT = 4096


def nagios_command_lines(runs: Sequence, host: str, now: float | None = None) -> list[str]:
    """PROCESS_SERVICE_CHECK_RESULT lines, each within LINE_LIMIT bytes with its perfdata whole.

    A long output is cut in its middle to fit, never the status line or the perfdata (a grapher
    reading a cut perfdata item would record a wrong value). Line breaks and backslashes are
    escaped as Nagios undoes them.
    """
    from cronchecks.alerting.channels.passive import command_file_escape, fit_passive_text
    from cronchecks.suite.passive_result import passive_parts

    stamp = int(time.time() if now is None else now)
    lines = []
    for run in runs:
        head = f"[{stamp}] PROCESS_SERVICE_CHECK_RESULT;{host};{run.entry.name};{int(run.result.status)};"
        first, long_output, perf = passive_parts(run)
        room = LINE_LIMIT - len(head.encode("utf-8")) - 1
        text = fit_passive_text(first, long_output, perf, room, escaped=True)
        lines.append(f"{head}{command_file_escape(text)}\n")
    return lines


def write_nagios_commands(path: str, lines: Sequence[str]) -> None:
    """Write to Nagios' command file (a FIFO): without a reader Nagios is down, and we say so, not hang."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_APPEND", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise UsageError(f"--nagios-cmd {path} does not exist "
                         "(is Nagios running with check_external_commands?)") from None
    except OSError as error:
        raise UsageError(f"--nagios-cmd {path}: cannot open for writing: {error.strerror or error}") from None
    try:
        for line in lines:
            # One write per line: writes up to PIPE_BUF bytes reach a FIFO whole, never interleaved.
            data = line.encode("utf-8")
            if len(data) > LINE_LIMIT:  # a host or service name alone too long: Nagios would refuse it anyway
                data = data[:LINE_LIMIT - 1] + b"\n"
            written = 0
            while written < len(data):
                try:
                    written += os.write(handle, data[written:])
                except BlockingIOError:
                    time.sleep(0.01)
    finally:
        os.close(handle)
