"""The command line: the only place that parses argv, prints results and exits."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from cronchecks.core.errors import CheckError
from cronchecks.core.invocation import CheckInvocation
from cronchecks.core.result import Result, Status

PROGRAM = "cronchecks"


def _prescan(argv: Sequence[str]) -> tuple[str, int, str | None]:
    """Format, verbosity and label read straight from argv, for errors found while parsing it."""
    output_format, verbosity, label = "nagios", 0, None
    args = list(argv)
    for index, arg in enumerate(args):
        if arg == "--":
            break
        following = args[index + 1] if index + 1 < len(args) else ""
        if arg == "--format":
            output_format = following.lower()
        elif arg.startswith("--format="):
            output_format = arg.split("=", 1)[1].lower()
        elif arg == "--label":
            label = following
        elif arg.startswith("--label="):
            label = arg.split("=", 1)[1]
        elif arg == "--verbose":
            verbosity += 1
        elif arg.startswith("-v") and set(arg[1:]) == {"v"}:
            verbosity += len(arg) - 1
    return ("json" if output_format == "json" else "nagios"), verbosity, label


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        # The reader went away (`| head`); the exit code still tells the state.
        pass


def _unknown(label: str, message: str, output_format: str) -> int:
    from cronchecks.core.output import render

    _emit(render(label, Result(Status.UNKNOWN, message), output_format))
    return int(Status.UNKNOWN)


def _is_click_error(error: BaseException) -> bool:
    # Click's exceptions, whether typer vendors click (0.27+) or uses the package: both
    # carry an exit code and a message formatter, and we only need those two.
    return hasattr(error, "exit_code") and hasattr(error, "format_message")


def _usage_message(error: BaseException, program: str) -> str:
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    message = " ".join(message.split()).rstrip(".")
    context = getattr(error, "ctx", None)
    command = getattr(context, "command_path", None) or program  # `cronchecks run`, not just `cronchecks`
    return f"{message[:1].lower()}{message[1:]} (see {command} --help)"


def _run_invocation(invocation: CheckInvocation) -> int:
    from cronchecks.core.execute import end_child_processes, execute
    from cronchecks.core.output import render
    from cronchecks.core.registry import CHECKS
    from cronchecks.core.runtime import Runtime

    spec = CHECKS[invocation.check]
    standard = invocation.standard
    label = standard.label or spec.label
    runtime = Runtime(verbosity=standard.verbosity)
    outcome = execute(spec.load_function(), invocation.options, runtime, standard.timeout, standard.timeout_result)
    _emit(render(label, outcome.result, standard.output_format, outcome.duration))
    code = int(outcome.result.status)
    if outcome.timed_out:
        # The check's thread may be stuck in a call that cannot be interrupted; end what
        # it started and leave without waiting for it.
        end_child_processes()
        sys.stderr.flush()
        os._exit(code)
    return code


def _dispatch(command_factory, argv: Sequence[str], program: str, default_label: str) -> int:
    """Parse argv with a typer command, run what it asks for, and return the exit code.

    Every way out is 0-3: usage errors (click would exit 2, which Nagios reads as
    CRITICAL), bad values, internal errors and interrupts all become UNKNOWN.
    """
    output_format, verbosity, label = _prescan(argv)
    label = label or default_label
    try:
        command = command_factory()
        outcome = command.main(args=list(argv), prog_name=program, standalone_mode=False)
        if isinstance(outcome, CheckInvocation):
            return _run_invocation(outcome)
        if isinstance(outcome, int) and 0 <= outcome <= 255:
            return outcome  # --help, --version, or a verb's own code (run passes its command's through)
        if outcome is None:
            return 0
        return int(Status.UNKNOWN)
    except CheckError as error:
        return _unknown(label, error.message, output_format)
    except KeyboardInterrupt:
        return _unknown(label, "interrupted", output_format)
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else 0 if leaving.code is None else 3
        return code if 0 <= code <= 3 else int(Status.UNKNOWN)
    except Exception as error:
        if type(error).__name__ == "Abort":
            return _unknown(label, "aborted", output_format)
        if _is_click_error(error):
            return _unknown(label, _usage_message(error, program), output_format)
        if verbosity >= 3:
            traceback.print_exc()
        return _unknown(label, f"internal error: {type(error).__name__}: {error}", output_format)


def _single_check_command(name: str):
    import typer

    from cronchecks.core.registry import CHECKS

    spec = CHECKS[name]
    app = typer.Typer(add_completion=False, context_settings={"help_option_names": ["-h", "--help"]})
    app.command(name=f"check-{name}")(spec.load_command())
    return typer.main.get_command(app)


def check_main(name: str, argv: Sequence[str] | None = None) -> int:
    """`check-NAME ...`: one check as a standalone Nagios plugin."""
    from cronchecks.core.registry import CHECKS

    argv = sys.argv[1:] if argv is None else argv
    return _dispatch(lambda: _single_check_command(name), argv, f"check-{name}", CHECKS[name].label)


def _cronchecks_command(only: str | None = None):
    import typer

    from cronchecks.cli.app import build_app

    return typer.main.get_command(build_app(only))


def main(argv: Sequence[str] | None = None) -> int:
    """`cronchecks VERB ...`: every check and every other verb as subcommands."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["--help"]
    from cronchecks.cli.app import VERBS
    from cronchecks.core.registry import CHECKS

    label = CHECKS[argv[0]].label if argv[0] in CHECKS else "CRONCHECKS"
    # A known subcommand needs only its own command built; anything else (--help, a
    # typo) gets the whole app so that help and errors can list every command.
    only = argv[0] if argv[0] in CHECKS or argv[0] in VERBS else None
    return _dispatch(lambda: _cronchecks_command(only), argv, PROGRAM, label)


def cronchecks_entry() -> None:
    """Console script cronchecks."""
    sys.exit(main())


def __getattr__(name: str):
    """Console scripts `check-NAME = "cronchecks.cli:check_NAME"`, one for every check of the registry."""
    from cronchecks.core.registry import CHECKS

    check = name.removeprefix("check_")
    if name.startswith("check_") and check in CHECKS:
        def entry() -> None:
            sys.exit(check_main(check))

        entry.__name__ = name
        entry.__doc__ = f"Console script check-{check}."
        return entry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
