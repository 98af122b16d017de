"""A suite's runs as Prometheus metrics: the textfile's `suite` label and each check's metrics record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cronchecks.alerting.metrics import CheckMetrics
from cronchecks.core.result import Status


def suite_labels(suite, path: str, pairs: Sequence[str]) -> dict[str, str]:
    """`suite="<file stem>"` and the --prometheus-label pairs (`suite=...` among them replaces the stem).

    Two suites with a check of the same name are then two series, not one that node_exporter
    refuses (the same series in two files) or that flips between the suites' values.
    """
    from cronchecks.alerting.metrics import parse_labels
    from cronchecks.core.errors import UsageError

    if not path.strip():
        raise UsageError("invalid --prometheus '': give the textfile to write (e.g. /var/lib/prometheus/"
                         "node-exporter/cronchecks.prom)")
    return {"suite": suite.path.stem, **parse_labels("--prometheus-label", pairs)}


def check_metrics(runs: Iterable, last_success: Mapping[str, float | None]) -> list[CheckMetrics]:
    """One record per check; the last success is the store's, or this run's when it was OK."""
    found = []
    for run in runs:
        ok = run.result.status is Status.OK
        kept = last_success.get(run.entry.name)
        plain = run.entry.type == "command" and not run.entry.nagios
        found.append(CheckMetrics(run.entry.name, int(run.result.status), run.duration, run.at,
                                  run.at if ok and kept is None else kept, run.exit_code if plain else None,
                                  tuple(run.result.perfdata)))
    return found
