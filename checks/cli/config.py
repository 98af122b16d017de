"""Command line of `cronchecks config --check`: validate the channel configuration and say what it holds."""

from typing import Annotated

import typer


def config(
    check: Annotated[bool, typer.Option(
        "--check", help="Validate the file and print what it holds: channels, defaults, maintenance windows "
        "(the only action; the same without it).")] = False,
    config_file: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="The config file (env CRONCHECKS_CONFIG; default: the user config folder's "
        "cronchecks/config.toml, then /etc/cronchecks/config.toml).")] = None,
) -> int:
    """Validate the channel configuration file: one line per mistake (exit 3), or what it holds (exit 0)."""
    import os

    from cronchecks.alerting.config import ConfigError, channel_mistakes, describe, read_config
    from cronchecks.core.runtime import host_name

    try:
        found = read_config(config_file, os.environ)
    except ConfigError as error:
        for mistake in error.mistakes:
            typer.echo(f"CONFIG UNKNOWN - {mistake}")
        return 3
    if found.path is None:
        typer.echo("CONFIG OK - no config file (give --config FILE or set CRONCHECKS_CONFIG)")
        return 0
    mistakes = channel_mistakes(found, os.environ, host_name())
    if mistakes:
        for mistake in mistakes:
            typer.echo(f"CONFIG UNKNOWN - {mistake}")
        return 3
    typer.echo(f"CONFIG OK - {found.path}: {len(found.channels)} channel(s), {len(found.defaults)} default(s), "
               f"{len(found.windows)} maintenance window(s)")
    for line in describe(found):
        typer.echo(line)
    return 0
