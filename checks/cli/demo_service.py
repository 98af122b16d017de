"""The demo service's process, started by the tour.

`python -m cronchecks.cli.demo_service --folder DIR --port-file FILE`
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> None:
    # argparse, not typer: an internal process started with known arguments needs no help
    # panels, and it should not pay typer's start-up.
    parser = argparse.ArgumentParser(prog="python -m cronchecks.cli.demo_service",
                                     description="The demo's target service on 127.0.0.1 (started by cronchecks demo).")
    parser.add_argument("--folder", required=True, type=Path, help="where its heartbeat and log go")
    parser.add_argument("--port-file", required=True, type=Path, help="written with its port once it listens")
    args = parser.parse_args(argv)
    from cronchecks.demo.service import serve

    serve(args.folder, args.port_file)


if __name__ == "__main__":
    main()
