"""One suite result as a passive check result's plugin output and perfdata, the texts Icinga 2 and Nagios both take."""

from __future__ import annotations


def plugin_output(run) -> str:
    """`LABEL STATE - summary` and the long output, without perfdata: both engines take perfdata apart."""
    from cronchecks.core.output import nagios_lines
    from cronchecks.core.result import Result

    return nagios_lines(run.label, Result(run.result.status, run.result.summary, (), run.result.details))


def perfdata_texts(run) -> list[str]:
    """Each perfdata item in the plugin format (`'label'=value[UOM];warn;crit;min;max`)."""
    from cronchecks.core.output import format_perfdata

    return [format_perfdata(datum) for datum in run.result.perfdata]


def passive_parts(run) -> tuple[str, str, list[str]]:
    """The status line, the long output and the perfdata items: what a Nagios passive result is made of."""
    first, _, long_output = plugin_output(run).partition("\n")
    return first, long_output, perfdata_texts(run)


def full_plugin_text(run) -> str:
    """The check's whole plugin text (`LABEL STATE - summary | perfdata`, then the long output), as it prints it."""
    from cronchecks.core.output import nagios_lines

    return nagios_lines(run.label, run.result)
