"""The `cronchecks` command: every check of the registry and the other verbs, as subcommands."""

import importlib
from typing import Annotated

import typer

from cronchecks import __version__
from cronchecks.core.registry import CHECKS


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cronchecks {__version__}")
        raise typer.Exit(0)


# The verbs besides the checks: name -> "module:function" of the typer command.
VERBS = {
    "run": "cronchecks.cli.run:run",
    "suite": "cronchecks.cli.suite:suite",
    "report": "cronchecks.cli.report:report",
    "demo": "cronchecks.cli.demo:demo",
    # staying quiet: downtimes, acknowledgements, and looking at and clearing what the store keeps
    "downtime": "cronchecks.cli.downtime:downtime",
    "ack": "cronchecks.cli.ack:ack",
    "status": "cronchecks.cli.status:status",
    "forget": "cronchecks.cli.forget:forget",
    # the channel configuration and the outbox
    "config": "cronchecks.cli.config:config",
    "outbox": "cronchecks.cli.outbox:outbox",
}


def build_app(only: str | None = None) -> typer.Typer:
    """The `cronchecks` app; with `only`, just that subcommand (what a run needs, and fast).

    Building every command means importing every check's module and letting typer read
    every signature: ~100 ms that a `cronchecks run` from cron should not pay.
    """
    app = typer.Typer(
        add_completion=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        help="Nagios-style checks for cron, and a wrapper that turns their failures into alerts.",
    )

    @app.callback()
    def cronchecks(
        version: Annotated[bool, typer.Option(
            "--version", "-V", is_eager=True, callback=_show_version, help="Show the version and exit.")] = False,
    ) -> None:
        """Nagios-style checks for cron, and a wrapper that turns their failures into alerts."""

    for spec in CHECKS.values():
        if only in (None, spec.name):
            app.command(name=spec.name)(spec.load_command())
    for verb, path in VERBS.items():
        if only in (None, verb):
            module, _, function = path.partition(":")
            command = getattr(importlib.import_module(module), function)
            if isinstance(command, typer.Typer):  # a verb with its own subcommands (downtime add|list|remove)
                app.add_typer(command, name=verb)
                continue
            settings = {"allow_interspersed_args": False} if verb == "run" else {}
            app.command(name=verb, context_settings=settings)(command)
    return app
