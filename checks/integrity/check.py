"""check-integrity: files against a coreutils-format manifest, or data by an SQL query or an audit command."""

from __future__ import annotations

from cronchecks.core.result import Result
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.audit import check_command
from cronchecks.integrity.files import create_manifest, verify_manifest
from cronchecks.integrity.options import IntegrityOptions, validate
from cronchecks.integrity.query import check_query


def check_integrity(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Verify or create a manifest, or judge a query's number or an audit command."""
    source = validate(options)
    if source == "manifest":
        if options.update or options.update_new:
            from cronchecks.integrity.update import update_manifest

            return update_manifest(options, runtime)
        return create_manifest(options, runtime) if options.create else verify_manifest(options, runtime)
    if source == "query":
        return check_query(options, runtime)
    return check_command(options, runtime)
