"""Command line of check-integrity: options in, IntegrityOptions out."""

from typing import Annotated, Optional

import typer

from cronchecks.cli.standard import check_command
from cronchecks.integrity.options import IntegrityOptions

FILES = "Files against a manifest (sha256sum / sha512sum / b2sum format)"
QUERY = "Data: an SQL query (-w/-c on its number; default -c 0)"
AUDIT = "Data: an audit command"


@check_command("integrity")
def integrity(
    paths: Annotated[Optional[list[str]], typer.Argument(
        metavar="[PATH]...", help="With --create: the files and folders (recursively) to list.", show_default=False)] = None,
    manifest: Annotated[Optional[str], typer.Option(
        "--manifest", "-m", metavar="FILE",
        help="Manifest in GNU coreutils format ('HASH  path', 'HASH *path', escaped names, --tag lines): every "
             "file in it must exist and match (missing or modified: CRITICAL).",
        rich_help_panel=FILES)] = None,
    create: Annotated[bool, typer.Option(
        "--create", help="Write the manifest instead (atomically) from the PATHs given; folders recurse.",
        rich_help_panel=FILES)] = False,
    algorithm: Annotated[Optional[str], typer.Option(
        "--algorithm", "-a", metavar="NAME",
        help="sha256, sha512 or blake2b. Default: from --tag lines, the manifest's name (*.sha512, *.b2) or the "
             "hash length (64 hex digits: sha256); sha256 for --create.",
        rich_help_panel=FILES)] = None,
    root: Annotated[Optional[str], typer.Option(
        "--root", metavar="DIR", help="Relative names in the manifest are under DIR (default: the current folder, "
                                      "as for sha256sum -c).",
        rich_help_panel=FILES)] = None,
    watch: Annotated[Optional[list[str]], typer.Option(
        "--watch", metavar="DIR", help="Files under DIR (recursively) that the manifest does not list are WARNING "
                                       "(repeatable).",
        rich_help_panel=FILES)] = None,
    track_perms: Annotated[bool, typer.Option(
        "--track-perms", help="Also keep (with --create) or compare mode and owner, in the sidecar FILE.perms.",
        rich_help_panel=FILES)] = False,
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", "-j", metavar="N", help="Files hashed at once (default: CPUs + 2).", rich_help_panel=FILES)] = None,
    db: Annotated[Optional[str], typer.Option(
        "--db", metavar="URL", help="SQLAlchemy database URL (visible in ps: prefer --db-env or --db-file when it "
                                    "has a password).",
        rich_help_panel=QUERY)] = None,
    db_env: Annotated[Optional[str], typer.Option(
        "--db-env", metavar="VAR", help="Environment variable holding the database URL.", rich_help_panel=QUERY)] = None,
    db_file: Annotated[Optional[str], typer.Option(
        "--db-file", metavar="PATH", help="File holding the database URL.", rich_help_panel=QUERY)] = None,
    query: Annotated[Optional[str], typer.Option(
        "--query", metavar="SQL", help="Query whose first value is a number: orphaned rows, unsynchronised "
                                       "records. Without -w/-c anything but 0 is CRITICAL.",
        rich_help_panel=QUERY)] = None,
    command: Annotated[Optional[str], typer.Option(
        "--command", metavar="'CMD ARGS'", help="Audit command, run without a shell: a non-zero exit is CRITICAL, "
                                                "with its last output lines as long output.",
        rich_help_panel=AUDIT)] = None,
    shell: Annotated[bool, typer.Option(
        "--shell", help="Run --command through the shell (pipes, cd, variables).", rich_help_panel=AUDIT)] = False,
    expect: Annotated[Optional[str], typer.Option(
        "--expect", metavar="TEXT", help="Its output (stdout and stderr) must contain TEXT, e.g. 'TOTAL ISSUES: 0'.",
        rich_help_panel=AUDIT)] = None,
    expect_regex: Annotated[Optional[str], typer.Option(
        "--expect-regex", metavar="REGEX", help="Its output must match REGEX (multi-line: ^ and $ match each line).",
        rich_help_panel=AUDIT)] = None,
) -> IntegrityOptions:
    """Check that nothing changed or went bad: files against a manifest, or data by a query or an audit command.

    Missing or modified files are CRITICAL, new files under --watch folders WARNING.
    """
    return IntegrityOptions(
        manifest=manifest,
        create=create,
        paths=tuple(paths or ()),
        algorithm=algorithm.strip().lower() if algorithm else None,
        root=root,
        watch=tuple(watch or ()),
        track_perms=track_perms,
        jobs=jobs,
        db=db,
        db_env=db_env,
        db_file=db_file,
        query=query,
        command=command,
        shell=shell,
        expect=expect,
        expect_regex=expect_regex,
    )
