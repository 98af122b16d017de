"""Suite results written to Nagios' external command file as passive check results."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from cronchecks.core.errors import UsageError
from cronchecks.suite.passive_result import perfdata_texts, plugin_output


def nagios_command_lines(runs: Sequence, host: str, now: float | None = None) -> list[str]:
    """PROCESS_SERVICE_CHECK_RESULT lines; one line each (long output as literal \\n, as Nagios reads it)."""
    stamp = int(time.time() if now is None else now)
    lines = []
    for run in runs:
        output = plugin_output(run).replace("\n", "\\n").replace(";", ",")
        perf = " ".join(perfdata_texts(run))
        text = f"{output}|{perf}" if perf else output
        lines.append(f"[{stamp}] PROCESS_SERVICE_CHECK_RESULT;{host};{run.entry.name};{int(run.result.status)};"
                     f"{text}\n")
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
            if len(data) > 4096:
                data = data[:4095] + b"\n"
            written = 0
            while written < len(data):
                try:
                    written += os.write(handle, data[written:])
                except BlockingIOError:
                    time.sleep(0.01)
    finally:
        os.close(handle)
