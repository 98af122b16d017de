"""Command line of check-integrity: its options declared for typer (read by cronchecks.integrity.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

FILES = "Files against a manifest (sha256sum / sha512sum / b2sum format)"
QUERY = "Data: an SQL query (-w/-c on its number; default -c 0)"
AUDIT = "Data: an audit command"


@check_command("integrity")
def integrity(
    paths: Annotated[list[str] | None, typer.Argument(
        metavar="[PATH]...", help="With --create: the files and folders (recursively) to list; with --update: the "
                                  "files whose current state the manifest accepts.",
        show_default=False)] = None,
    manifest: Annotated[str | None, typer.Option(
        "--manifest", "-m", metavar="FILE",
        help="Manifest in GNU coreutils format ('HASH  path', 'HASH *path', escaped names, --tag lines): every "
             "file in it must exist and match (missing or modified: CRITICAL).",
        rich_help_panel=FILES)] = None,
    create: Annotated[bool, typer.Option(
        "--create", help="Write the manifest instead (atomically) from the PATHs given; folders recurse.",
        rich_help_panel=FILES)] = False,
    algorithm: Annotated[str | None, typer.Option(
        "--algorithm", "-a", metavar="NAME",
        help="sha256, sha512 or blake2b. Default: from --tag lines, the manifest's name (*.sha512, *.b2) or the "
             "hash length (64 hex digits: sha256); sha256 for --create.",
        rich_help_panel=FILES)] = None,
    root: Annotated[str | None, typer.Option(
        "--root", metavar="DIR", help="Relative names in the manifest are under DIR (default: the current folder, "
                                      "as for sha256sum -c).",
        rich_help_panel=FILES)] = None,
    watch: Annotated[list[str] | None, typer.Option(
        "--watch", metavar="DIR", help="Files under DIR (recursively) that the manifest does not list are WARNING "
                                       "(repeatable).",
        rich_help_panel=FILES)] = None,
    track_perms: Annotated[bool, typer.Option(
        "--track-perms", help="Also keep (with --create) or compare mode and owner, in the sidecar FILE.perms "
                              "(the same as --track mode,owner).",
        rich_help_panel=FILES)] = False,
    track: Annotated[str | None, typer.Option(
        "--track", metavar="LIST",
        help="Attributes kept (with --create) and compared, beside the hash: mode,owner,size,mtime,inode,links,"
             "target. Symlinks are recorded, not followed: `target` is where a link points.",
        rich_help_panel=FILES)] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="GLOB",
        help="Leave out matching files and folders (repeatable): a glob without / matches a name at any depth "
             "('*.log', 'cache'), one with / a path under --root ('var/cache/*'). For --create, --watch and checking.",
        rich_help_panel=FILES)] = None,
    update: Annotated[bool, typer.Option(
        "--update", help="Accept the current state of the PATHs into the manifest (rehash, add, or drop the gone), "
                         "writing it atomically and keeping the previous one as FILE.prev.",
        rich_help_panel=FILES)] = False,
    update_new: Annotated[bool, typer.Option(
        "--update-new", help="Add the files --watch finds that the manifest does not list (with --update too).",
        rich_help_panel=FILES)] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", metavar="N", help="Files hashed at once (default: CPUs + 2).", rich_help_panel=FILES)] = None,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL", help="SQLAlchemy database URL (visible in ps: prefer --db-env or --db-file when it "
                                    "has a password).",
        rich_help_panel=QUERY)] = None,
    db_env: Annotated[str | None, typer.Option(
        "--db-env", metavar="VAR", help="Environment variable holding the database URL.",
        rich_help_panel=QUERY)] = None,
    db_file: Annotated[str | None, typer.Option(
        "--db-file", metavar="PATH", help="File holding the database URL.", rich_help_panel=QUERY)] = None,
    query: Annotated[str | None, typer.Option(
        "--query", metavar="SQL", help="Query whose first value is a number: orphaned rows, unsynchronised "
                                       "records. Without -w/-c anything but 0 is CRITICAL.",
        rich_help_panel=QUERY)] = None,
    command: Annotated[str | None, typer.Option(
        "--command", metavar="'CMD ARGS'", help="Audit command, run without a shell: a non-zero exit is CRITICAL, "
                                                "with its last output lines as long output.",
        rich_help_panel=AUDIT)] = None,
    shell: Annotated[bool, typer.Option(
        "--shell", help="Run --command through the shell (pipes, cd, variables).", rich_help_panel=AUDIT)] = False,
    expect: Annotated[str | None, typer.Option(
        "--expect", metavar="TEXT", help="Its output (stdout and stderr) must contain TEXT, e.g. 'TOTAL ISSUES: 0'.",
        rich_help_panel=AUDIT)] = None,
    expect_regex: Annotated[str | None, typer.Option(
        "--expect-regex", metavar="REGEX", help="Its output must match REGEX (multi-line: ^ and $ match each line).",
        rich_help_panel=AUDIT)] = None,
) -> None:
    """Check that nothing changed or went bad: files against a manifest, or data by a query or an audit command.

    Missing or modified files are CRITICAL, new files under --watch folders WARNING.
    """
