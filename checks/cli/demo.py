"""Command line of `cronchecks demo`."""

from typing import Annotated

import typer


def demo(
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", metavar="DIR",
        help="Keep the demo's store here (default: a temporary folder, removed after).")] = None,
    keep_running: Annotated[bool, typer.Option(
        "--keep-running",
        help="Leave the demo service up after the tour, to try commands against it (Ctrl-C ends it).")] = False,
) -> int:
    """A tour of every check against a small service on 127.0.0.1: a failure, its alert, the recovery, the report."""
    from cronchecks.demo.tour import run_demo

    return run_demo(_print_line, state_dir, keep_running)


def _print_line(text: str) -> None:
    # Flushed line by line: the tour takes a while, and a person watches it go.
    print(text, flush=True)
