"""What check-integrity is asked to do, and the combinations refused before doing it."""

from __future__ import annotations

from dataclasses import dataclass

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import Range
from cronchecks.integrity.manifest import ALGORITHMS


@dataclass(frozen=True, kw_only=True)
class IntegrityOptions:
    """One of three sources: a manifest of files, an SQL query, or an audit command."""

    manifest: str | None = None
    create: bool = False
    paths: tuple[str, ...] = ()
    algorithm: str | None = None
    root: str | None = None
    watch: tuple[str, ...] = ()
    track_perms: bool = False
    track: tuple[str, ...] = ()  # attributes.TRACKABLE names, canonical order
    exclude: tuple[str, ...] = ()  # globs
    update: bool = False
    update_new: bool = False
    jobs: int | None = None
    db: str | None = None
    db_env: str | None = None
    db_file: str | None = None
    query: str | None = None
    command: str | None = None
    shell: bool = False
    expect: str | None = None
    expect_regex: str | None = None
    warning: Range | None = None
    critical: Range | None = None


def validate(options: IntegrityOptions) -> str:
    """The one source in use ('manifest', 'query' or 'command'); clashes are usage errors."""
    database = options.db or options.db_env or options.db_file
    sources = [name for name, given in (("--manifest", options.manifest or options.create or options.update
                                         or options.update_new),
                                        ("--db/--query", database or options.query),
                                        ("--command", options.command)) if given]
    if len(sources) != 1:
        raise UsageError("give one of --manifest, --db with --query, or --command" if not sources
                         else f"give one source at a time, not {' and '.join(sources)}")
    source = sources[0]
    file_options = [flag for flag, given in (("--create", options.create), ("--algorithm", options.algorithm),
                                             ("--root", options.root), ("--watch", options.watch),
                                             ("--track-perms", options.track_perms), ("--jobs", options.jobs),
                                             ("--track", options.track), ("--exclude", options.exclude),
                                             ("--update", options.update), ("--update-new", options.update_new),
                                             ("PATH", options.paths)) if given]
    if source != "--manifest" and file_options:
        raise UsageError(f"{', '.join(file_options)} go{'es' if len(file_options) == 1 else ''} with --manifest")
    command_options = [flag for flag, given in (("--shell", options.shell), ("--expect", options.expect),
                                                ("--expect-regex", options.expect_regex)) if given]
    if source != "--command" and command_options:
        raise UsageError(f"{', '.join(command_options)} go{'es' if len(command_options) == 1 else ''} with --command")
    if source != "--db/--query" and (options.warning or options.critical):
        raise UsageError("-w/-c are ranges on the --query value; a manifest or an audit command has fixed states")
    if source == "--manifest":
        updating = options.update or options.update_new
        if not options.manifest:
            verb = "--create" if options.create else "--update" if updating else "--watch"
            raise UsageError(f"{verb} needs --manifest FILE")
        if options.create and updating:
            raise UsageError("--create writes a new manifest and --update changes one: give one")
        if options.create and not options.paths:
            raise UsageError("--create needs the files or folders to list (check-integrity --create -m FILE PATH...)")
        if options.update and not options.paths:
            raise UsageError("--update needs the files to accept (check-integrity --update -m FILE PATH...)")
        if options.paths and not (options.create or options.update):
            raise UsageError("PATH arguments go with --create or --update; a check reads the paths from the manifest")
        if options.create and options.watch:
            raise UsageError("--watch goes with checking a manifest or --update-new, not with --create")
        if options.update_new and not options.watch:
            raise UsageError("--update-new adds the new files of the --watch folders: give --watch DIR")
        if options.algorithm is not None and options.algorithm not in ALGORITHMS:
            raise UsageError(f"invalid --algorithm {options.algorithm!r} ({', '.join(ALGORITHMS)})")
        if options.jobs is not None and options.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        return "manifest"
    if source == "--db/--query":
        if not database:
            raise UsageError("--query needs --db, --db-env or --db-file")
        if not options.query:
            raise UsageError("--db needs --query, a query whose first value is a number (e.g. select count(*) ...)")
        return "query"
    if options.expect is not None and options.expect_regex is not None:
        raise UsageError("give --expect or --expect-regex, not both")
    if not options.command or not options.command.strip():
        raise UsageError("--command needs a command to run")
    return "command"
