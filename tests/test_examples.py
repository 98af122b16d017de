"""Every example parses in its own format, and names only commands and options that exist.

Each file under examples/ is read by the parser of its format (crontab schedules with
cronsim, Task Scheduler XML, YAML, TOML suites with the suite's own loader, systemd units,
Nagios and Icinga 2 objects by shape). Every invocation of our commands found in them
(in commands proper and in comments alike) is checked against the command's real
`--help`: an option that does not exist fails here, naming the file.
"""

from __future__ import annotations

import configparser
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cronchecks.cli.app import VERBS
from cronchecks.core.registry import CHECKS
from tests.conftest import ROOT, VENV_BIN

EXAMPLES = ROOT / "examples"
PROGRAMS = {"cronchecks", *(f"check-{name}" for name in CHECKS)}
SUBCOMMANDS = set(VERBS) | set(CHECKS)
# Verbs with subcommands of their own: `cronchecks downtime add ...` is held to `cronchecks downtime add --help`.
SUBCOMMAND_GROUPS = {"downtime": {"add", "list", "remove"}}
# Variables the example suites name, so that the real loader can expand them.
SUITE_ENV = {"APP_URL": "https://app.example.com", "APP_DB": "sqlite:////tmp/app.db",
             "SLACK_HOOK": "https://hooks.slack.com/services/T0/B0/x"}
SHELL_PUNCTUATION = set(";&|<>()")


def example_files() -> list[Path]:
    return sorted(path for path in EXAMPLES.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- our commands' real options, from their --help ----------------------------------------


def help_options(command: tuple[str, ...]) -> frozenset[str]:
    """The option names (long and short) a command's --help lists, each --help run once.

    The first call runs every command's --help at once, in parallel: each is a process
    start of ~0.3 s, and the examples and the README name all of them anyway.
    """
    cache = _help_cache()
    if command not in cache:
        cache[command] = _read_help(command)
    return cache[command]


@functools.cache
def _help_cache() -> dict[tuple[str, ...], frozenset[str]]:
    from concurrent.futures import ThreadPoolExecutor

    commands = [(f"check-{name}",) for name in CHECKS] + [("cronchecks", verb) for verb in SUBCOMMANDS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(commands, pool.map(_read_help, commands), strict=True))


def _read_help(command: tuple[str, ...]) -> frozenset[str]:
    program, *subcommand = command
    done = subprocess.run([str(VENV_BIN / program), *subcommand, "--help"], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250", "TERM": "dumb"})
    assert done.returncode == 0, f"{' '.join(command)} --help exited {done.returncode}: {done.stderr}"
    names = set()
    for line in done.stdout.splitlines():
        if "│" not in line:
            continue
        cells = line.split("│")[1].split()
        while cells and cells[0].startswith("-"):  # the name column: --nagios --no-nagios, --warning -w
            names.add(cells.pop(0).rstrip(","))
    assert "--help" in names, f"could not read the options of {' '.join(command)} --help:\n{done.stdout}"
    return frozenset(names)


def shell_words(text: str) -> list[str]:
    """Shell tokens, with runs of ; & | < > ( ) as tokens of their own (they end a command)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # prose with an apostrophe: good enough to find options by
        return text.replace("'", " ").replace('"', " ").split()


def program_of(word: str) -> str | None:
    name = re.split(r"[/\\]", word)[-1]
    name = name[:-4] if name.lower().endswith(".exe") else name
    return name if name in PROGRAMS else None


class Invocation:
    """One call of our commands: which command (`check-http`, `cronchecks run`) and its words."""

    def __init__(self, command: tuple[str, ...], words: list[str], where: str) -> None:
        self.command, self.words, self.where = command, words, where

    def options(self) -> list[str]:
        found = []
        for word in self.words:
            if re.fullmatch(r"--[A-Za-z][\w-]*(=.*)?", word):
                found.append(word.split("=", 1)[0])
            elif re.fullmatch(r"-[A-Za-z]", word):
                found.append(word)
        return found


def invocations_in(words: list[str], where: str, strict: bool) -> list[Invocation]:
    """Our commands among shell words. `strict`: `cronchecks` must be followed by one of its verbs."""
    found = []
    index = 0
    while index < len(words):
        program = program_of(words[index])
        if program is None:
            index += 1
            continue
        end = index + 1
        while end < len(words) and not set(words[end]) <= SHELL_PUNCTUATION:
            end += 1
        args = words[index + 1:end]
        index = end
        if program != "cronchecks":
            found.append(Invocation((program,), args, where))
            continue
        if not args or args[0] not in SUBCOMMANDS:
            if strict and not (args and args[0] in ("--help", "-h", "--version", "-V")):
                raise AssertionError(f"{where}: `cronchecks {' '.join(args[:1])}` is not a cronchecks command")
            continue
        verb, rest = args[0], args[1:]
        if verb == "run" and "--" in rest:
            split = rest.index("--")
            found.append(Invocation(("cronchecks", "run"), rest[:split], where))
            inner = rest[split + 1:]
            if inner and program_of(inner[0]) is None and strict:
                continue  # any other command (a backup script): its options are its own
            found.extend(invocations_in(inner, where, strict))
        elif verb in SUBCOMMAND_GROUPS and rest and rest[0] in SUBCOMMAND_GROUPS[verb]:
            found.append(Invocation(("cronchecks", verb, rest[0]), rest[1:], where))
        else:
            found.append(Invocation(("cronchecks", verb), rest, where))
    return found


def joined_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first line."""
    out, pending, start = [], "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def mentioned_invocations(path: Path, text: str) -> list[Invocation]:
    """Our commands anywhere in a text file, comments included (not strict: prose says `cronchecks in ...`)."""
    found = []
    for number, line in joined_lines(text):
        words = shell_words(line.replace("`", " "))
        found.extend(invocations_in(words, f"{rel(path)}:{number}", strict=False))
    return found


# --- the formats ---------------------------------------------------------------------------


def crontab_entries(path: Path) -> list[tuple[int, str, str]]:
    """(line, schedule, command) for each job line; environment lines and comments skipped."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", stripped):
            continue
        fields = stripped.split(None, 5)
        assert len(fields) == 6, f"{rel(path)}:{number}: not five schedule fields and a command: {line!r}"
        entries.append((number, " ".join(fields[:5]), fields[5]))
    return entries


def xml_exec_actions(path: Path) -> list[tuple[str, str]]:
    namespace = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.parse(path).getroot()
    assert root.tag == "{http://schemas.microsoft.com/windows/2004/02/mit/task}Task", f"{rel(path)}: not a Task"
    actions = []
    for exec_ in root.findall("t:Actions/t:Exec", namespace):
        command = exec_.findtext("t:Command", default="", namespaces=namespace)
        arguments = exec_.findtext("t:Arguments", default="", namespaces=namespace)
        actions.append((command, arguments))
    assert actions, f"{rel(path)}: no Exec action"
    return actions


def windows_words(arguments: str) -> list[str]:
    # CommandLineToArgvW, as far as examples need it: double quotes group, backslashes stay.
    return [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', arguments)]


def powershell_invocations(path: Path) -> list[Invocation]:
    """`$x = (Get-Command check-heartbeat.exe).Source` ... `& '$x' --file ...` and `-Execute $x -Argument "..."`."""
    text = path.read_text()
    for variable, program in re.findall(r"\$(\w+)\s*=\s*\(Get-Command\s+([\w.-]+)\)", text):
        text = re.sub(rf"['\"]?`?\${variable}\b['\"]?", program, text)
    found = []
    for match in re.finditer(r"-Execute\s+(\S+)\s+-Argument\s+\"([^\"]*)\"", text):
        if program_of(match.group(1).strip("'\"")):
            found.extend(invocations_in([match.group(1).strip("'\""), *windows_words(match.group(2))],
                                        rel(path), strict=True))
    return found + mentioned_invocations(path, text)


class CaseKeepingParser(configparser.ConfigParser):
    """systemd's keys are case-sensitive (ExecStart, WantedBy): keep them as written."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def load_example_suite(path: Path, text: str | None = None, tmp_path: Path | None = None):
    from cronchecks.suite.file import load_suite

    if text is not None:
        assert tmp_path is not None, "an example's text is written to tmp_path"
        path = tmp_path / path.name
        path.write_text(text)
    return load_suite(path, SUITE_ENV)


def nagios_objects(path: Path) -> list[tuple[str, dict[str, str], int]]:
    """(type, directives, line) of every `define TYPE { ... }`; the shape is asserted on the way."""
    objects: list[tuple[str, dict[str, str], int]] = []
    current: tuple[str, dict[str, str]] | None = None
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        opening = re.fullmatch(r"define\s+(\w+)\s*\{", line)
        if opening:
            assert current is None, f"{rel(path)}:{number}: define inside a define (a missing '}}')"
            current, start = (opening.group(1), {}), number
            continue
        assert current is not None, f"{rel(path)}:{number}: outside any define: {raw!r}"
        if line == "}":
            objects.append((current[0], current[1], start))
            current = None
            continue
        key, _, value = line.partition(" ")
        value = re.sub(r"\s;.*$", "", value).strip()  # Nagios' inline comments
        assert re.fullmatch(r"\w+", key) and value, f"{rel(path)}:{number}: not `directive value`: {raw!r}"
        assert key not in current[1], f"{rel(path)}:{number}: {key} given twice"
        current[1][key] = value
    assert current is None, f"{rel(path)}: the define at line {start} is not closed"
    return objects


def nagios_macros_as_words(command_line: str) -> str:
    return re.sub(r"\$[A-Z0-9_]+\$", "X", command_line.replace("$$", "$"))


def icinga2_strip_comments(text: str) -> str:
    """The text with comments blanked out (strings and {{{ }}} kept), lines preserved."""
    out, index = [], 0
    while index < len(text):
        if text.startswith("{{{", index):
            end = text.index("}}}", index) + 3
            out.append(text[index:end])
            index = end
        elif text[index] == '"':
            match = re.compile(r'"(?:\\.|[^"\\\n])*"').match(text, index)
            assert match, f"unterminated string at {text[index:index + 40]!r}"
            out.append(match.group())
            index = match.end()
        elif text.startswith("/*", index):
            end = text.index("*/", index) + 2
            out.append(re.sub(r"[^\n]", " ", text[index:end]))
            index = end
        elif text.startswith("//", index) or (text[index] == "#"):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            index = end
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def icinga2_blocks(text: str) -> list[tuple[str, str]]:
    """Top-level statements as (head, body); braces must balance, heads be object/template/apply/const."""
    blocks, index, depth, head_start, body_start = [], 0, 0, 0, 0
    code = re.sub(r'"(?:\\.|[^"\\])*"', lambda m: "S" * len(m.group()), text)  # braces in strings do not count
    for index, char in enumerate(code):
        if char == "{":
            if depth == 0:
                body_start = index
            depth += 1
        elif char == "}":
            depth -= 1
            assert depth >= 0, f"unbalanced '}}' at {text[max(0, index - 60):index + 1]!r}"
            if depth == 0:
                blocks.append((text[head_start:body_start].strip(), text[body_start + 1:index]))
                head_start = index + 1
        elif char == "\n" and depth == 0:
            statement = text[head_start:index].strip()
            if statement.startswith("const "):
                blocks.append((statement, ""))
                head_start = index + 1
            elif statement and "{" not in code[head_start:index]:
                # a head may span lines only up to its opening brace
                assert re.match(r"(object|template|apply)\b", statement), f"not an Icinga 2 statement: {statement!r}"
    assert depth == 0, "unbalanced '{': a block is not closed"
    assert not text[head_start:].strip(), f"text after the last block: {text[head_start:].strip()[:80]!r}"
    for head, _ in blocks:
        assert re.match(r"(object|template|apply|const)\b", head), f"not an Icinga 2 statement: {head!r}"
    return blocks


def icinga2_top_keys(body: str) -> dict[str, str]:
    """`"key" = value` pairs at the top level of a dictionary body (values with their nesting)."""
    pairs, depth, start = {}, 0, 0
    code = re.sub(r'"(?:\\.|[^"\\])*"', lambda m: "S" * len(m.group()), body)
    entries = []
    for index, char in enumerate(code):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char in "\n;" and depth == 0:
            entries.append(body[start:index])
            start = index + 1
    entries.append(body[start:])
    for entry in entries:
        match = re.match(r'\s*"([^"]+)"\s*=\s*(.*)', entry, re.S)
        if match:
            pairs[match.group(1)] = match.group(2).strip()
    return pairs


# --- which example is read how ---------------------------------------------------------------


def kind_of(path: Path) -> str:
    name = path.name
    if path.parent.name == "cron" and name == "crontab":
        return "crontab"
    if path.parent.name == "nrpe" and name.endswith(".cfg"):
        return "nrpe"
    for suffix, kind in ((".xml", "xml"), (".ps1", "powershell"), (".toml", "toml"), (".yaml", "yaml"),
                         (".cfg", "nagios"), (".conf", "icinga2"), (".service", "systemd"), (".timer", "systemd"),
                         (".py", "python")):
        if name.endswith(suffix):
            return kind
    if name == "Dockerfile":
        return "dockerfile"
    return "unknown"


def test_every_example_has_a_known_format():
    unknown = [rel(path) for path in example_files() if kind_of(path) == "unknown"]
    assert not unknown, f"examples this test cannot read (teach kind_of and invocations_of about them): {unknown}"
    folders = {path.relative_to(EXAMPLES).parts[0] for path in example_files()}
    assert {"cron", "task-scheduler", "nagios", "icinga2", "datadog", "systemd", "kubernetes", "suites",
            "nrpe"} <= folders


def invocations_of(path: Path, tmp_path: Path) -> list[Invocation]:
    """Every call of our commands in one example, its format parsed (and asserted) on the way."""
    kind = kind_of(path)
    text = path.read_text(encoding="utf-8")
    found: list[Invocation] = []
    if kind == "crontab":
        from cronsim import CronSim, CronSimError

        for number, schedule, command in crontab_entries(path):
            where = f"{rel(path)}:{number}"
            try:
                CronSim(schedule, datetime(2026, 1, 1, tzinfo=UTC))
            except CronSimError as error:
                raise AssertionError(f"{where}: bad schedule {schedule!r}: {error}") from None
            # cron turns an unescaped % into a newline: date +%F must be written date +\%F
            assert not re.search(r"(?<!\\)%", command), f"{where}: unescaped % in a crontab command"
            found.extend(invocations_in(shell_words(command), where, strict=True))
        return found + mentioned_invocations(path, text)
    if kind == "xml":
        for command, arguments in xml_exec_actions(path):
            found.extend(invocations_in([command, *windows_words(arguments)], rel(path), strict=True))
        assert found, f"{rel(path)}: the task runs none of our commands"
        return found
    if kind == "powershell":
        return powershell_invocations(path)
    if kind == "toml":
        suite = load_example_suite(path)
        assert suite.checks, f"{rel(path)}: no checks"
        return mentioned_invocations(path, text)
    if kind == "yaml":
        for document in yaml.safe_load_all(text):
            if not document:
                continue
            if document.get("kind") == "ConfigMap":
                for name, content in document.get("data", {}).items():
                    if name.endswith(".toml"):
                        assert load_example_suite(Path(name), content, tmp_path).checks
            if document.get("kind") == "CronJob":
                containers = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
                for container in containers:
                    argv = [*container.get("command", []), *container.get("args", [])]
                    found.extend(invocations_in(argv, f"{rel(path)} container {container['name']}", strict=True))
        return found + mentioned_invocations(path, text)
    if kind == "systemd":
        unit = CaseKeepingParser(strict=False, interpolation=None, delimiters=("=",))
        unit.read_string(text)
        assert "Unit" in unit, f"{rel(path)}: no [Unit] section"
        for key in ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop"):
            if unit.has_option("Service", key):
                command = unit.get("Service", key).replace("\\\n", " ")
                # systemd reads "$$" as "$" and "%%" as "%"; a lone % is a specifier
                assert not re.search(r"(?<!%)%(?![%])", command.replace("%%", "")), f"{rel(path)}: lone % in {key}"
                found.extend(invocations_in(shell_words(command.replace("$$", "$")), f"{rel(path)} {key}", strict=True))
        return found + mentioned_invocations(path, text)
    if kind == "nagios":
        for type_, directives, line in nagios_objects(path):
            if type_ == "command":
                assert {"command_name", "command_line"} <= set(directives), f"{rel(path)}:{line}: incomplete command"
                words = shell_words(nagios_macros_as_words(directives["command_line"]))
                found.extend(invocations_in(words, f"{rel(path)}:{line}", strict=True))
        return found + mentioned_invocations(path, text)
    if kind == "nrpe":  # nrpe.cfg lines: command[NAME]=COMMAND LINE, run through /bin/sh
        for position, nrpe_line in enumerate(text.splitlines(), 1):
            nrpe_command = re.match(r"^command\[([^\]]+)\]=(.*)$", nrpe_line)
            if nrpe_command:
                found.extend(invocations_in(shell_words(nrpe_command.group(2)), f"{rel(path)}:{position}", strict=True))
            else:
                assert not nrpe_line.strip() or nrpe_line.startswith("#"), \
                    f"{rel(path)}:{position}: not an nrpe command line"
        return found + mentioned_invocations(path, text)
    if kind == "icinga2":
        code = icinga2_strip_comments(text)
        for head, body in icinga2_blocks(code):
            if head.startswith('object CheckCommand'):
                command_list = re.search(r"command\s*=\s*\[(.*?)\]", body, re.S)
                assert command_list, f"{rel(path)}: {head} has no command"
                program = program_of(re.findall(r'"([^"]*)"', command_list.group(1))[-1])
                arguments_block = re.search(r"arguments\s*=\s*\{(.*)\n  \}", body, re.S)
                if program and arguments_block:
                    keys = [key for key in icinga2_top_keys(arguments_block.group(1)) if key.startswith("-")]
                    found.append(Invocation((program,), keys, f"{rel(path)} {head}"))
        return found + mentioned_invocations(path, text)
    if kind == "dockerfile":
        for match in re.finditer(r"^(?:CMD|ENTRYPOINT)\s+(\[.*\])\s*$", text, re.M):
            found.extend(invocations_in(json.loads(match.group(1)), rel(path), strict=True))
        return found + mentioned_invocations(path, text)
    if kind == "python":
        return mentioned_invocations(path, text)
    raise AssertionError(f"{rel(path)}: no reader for {kind}")


@pytest.mark.parametrize("path", example_files(), ids=rel)
def test_example_parses_and_uses_only_real_options(path, tmp_path):
    problems: list[str] = []
    for invocation in invocations_of(path, tmp_path):
        known = help_options(invocation.command)
        problems.extend(f"{invocation.where}: {' '.join(invocation.command)} has no option {option}"
                        for option in invocation.options() if option not in known)
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_examples_call_every_command(tmp_path):
    """Between them, the examples show every check and every verb a scheduler would run."""
    seen = set()
    for path in example_files():
        for invocation in invocations_of(path, tmp_path):
            seen.add(invocation.command)
    expected = {(f"check-{name}",) for name in CHECKS} | {("cronchecks", "run"), ("cronchecks", "suite"),
                                                         ("cronchecks", "report")}
    assert expected <= seen, f"no example calls {sorted(expected - seen)}"


def test_an_option_that_does_not_exist_is_caught():
    """The checker itself: a misspelt option is reported, with where it was."""
    words = shell_words("out=$(check-http --expect-jason '$.ok' https://x/) || "
                        "cronchecks run --mial a@b -- check-log f -e x")
    found = invocations_in(words, "here", strict=True)
    wrong = {option for invocation in found for option in invocation.options()
             if option not in help_options(invocation.command)}
    assert wrong == {"--expect-jason", "--mial"}
    with pytest.raises(AssertionError, match="not a cronchecks command"):
        invocations_in(shell_words("cronchecks suit f.toml"), "here", strict=True)


# --- what each kind must also hold together -----------------------------------------------------


def test_crontab_lines_each_run_a_command_and_cover_the_patterns():
    text = (EXAMPLES / "cron" / "crontab").read_text()
    commands = [command for _, _, command in crontab_entries(EXAMPLES / "cron" / "crontab")]
    assert any("&& touch" in command for command in commands), "the heartbeat pattern: job && touch file"
    for needle in ("--mail", "--webhook", "--cloudwatch", "--ping"):
        assert any("cronchecks run " in command and needle in command for command in commands), needle
    assert any("cronchecks suite" in command and "--prometheus" in command for command in commands)
    for name in CHECKS:
        assert f"check-{name} " in text, f"no crontab line for check-{name}"


def test_nagios_services_use_defined_commands_with_their_arguments():
    commands, services = {}, []
    for path in sorted((EXAMPLES / "nagios").glob("*.cfg")):
        for type_, directives, line in nagios_objects(path):
            if type_ == "command":
                assert directives["command_name"] not in commands, f"{directives['command_name']} defined twice"
                commands[directives["command_name"]] = directives["command_line"]
            elif type_ == "service":
                services.append((path, line, directives))
    for name in CHECKS:
        assert any(f"/check-{name} " in line for line in commands.values()), f"no Nagios command runs check-{name}"
    used = set()
    for path, line, directives in services:
        if directives.get("register") == "0":
            assert "name" in directives, f"{rel(path)}:{line}: a template needs a name"
        else:
            assert {"host_name", "service_description", "use"} <= set(directives), f"{rel(path)}:{line}"
        if "check_command" not in directives:
            continue
        name, *arguments = re.split(r"(?<!\\)!", directives["check_command"])
        assert name in commands, f"{rel(path)}:{line}: check_command {name} is not defined"
        used.add(name)
        wanted = max((int(n) for n in re.findall(r"\$ARG(\d+)\$", commands[name])), default=0)
        assert len(arguments) == wanted, f"{rel(path)}:{line}: {name} takes {wanted} arguments, got {len(arguments)}"
        for argument in arguments:
            # Nagios would read a lone $ as the start of a macro: JSONPath must be $$
            assert not re.search(r"(?<!\$)\$(?!\$)", argument.replace("$$", "")), f"{rel(path)}:{line}: lone $"
    assert set(commands) == used, f"commands no service uses: {sorted(set(commands) - used)}"


def suite_check_names() -> list[str]:
    return [entry.name for entry in load_example_suite(EXAMPLES / "suites" / "typical-stack.toml").checks]


def test_the_passive_services_are_the_suites_checks():
    passive = [directives for type_, directives, _ in nagios_objects(EXAMPLES / "nagios" / "cronchecks-passive.cfg")
               if type_ == "service" and directives.get("use") == "cronchecks-passive"]
    assert sorted(d["service_description"] for d in passive) == sorted(suite_check_names())
    objects = nagios_objects(EXAMPLES / "nagios" / "cronchecks-passive.cfg")
    template = next(directives for _, directives, _ in objects if directives.get("name") == "cronchecks-passive")
    assert template["passive_checks_enabled"] == "1" and template["check_freshness"] == "1"
    assert int(template["freshness_threshold"]) > 0

    text = icinga2_strip_comments((EXAMPLES / "icinga2" / "cronchecks-passive.conf").read_text())
    names = re.search(r"vars\.cronchecks_suite\s*=\s*\[(.*?)\]", text, re.S)
    assert names, "cronchecks-passive.conf sets no vars.cronchecks_suite"
    assert sorted(re.findall(r'"([^"]+)"', names.group(1))) == sorted(suite_check_names())
    assert '"actions/process-check-result"' in text and 'object ApiUser' in text
    assert re.search(r'check_command\s*=\s*"(dummy|passive)"', text)
    raw = (EXAMPLES / "icinga2" / "cronchecks-passive.conf").read_text()
    for variable in ("CRONCHECKS_ICINGA2_USER", "CRONCHECKS_ICINGA2_PASSWORD", "CRONCHECKS_ICINGA2_CAFILE"):
        assert variable in raw
        assert variable in (ROOT / "checks" / "suite" / "icinga2.py").read_text(), f"the suite does not read {variable}"


def test_icinga2_services_set_only_variables_their_commands_read():
    commands_text = icinga2_strip_comments((EXAMPLES / "icinga2" / "cronchecks-commands.conf").read_text())
    read: dict[str, set[str]] = {}
    for head, body in icinga2_blocks(commands_text):
        match = re.match(r'object CheckCommand "([^"]+)"', head)
        if match:
            read[match.group(1)] = set(re.findall(r"\$(cc_\w+)\$", body)) | set(re.findall(r"vars\.(cc_\w+)", body))
    assert {f"cronchecks-{name}" for name in CHECKS} <= set(read)
    services_text = icinga2_strip_comments((EXAMPLES / "icinga2" / "cronchecks-services.conf").read_text())
    used = set()
    for head, body in icinga2_blocks(services_text):
        if not head.startswith("apply Service"):
            continue
        check_command = re.search(r'check_command\s*=\s*"([^"]+)"', body)
        assert check_command, f"{head}: no check_command"
        command = check_command.group(1)
        assert command in read, f"{head}: {command} is not defined"
        used.add(command)
        for variable in re.findall(r"vars\.(cc_\w+)\s*=", body):
            assert variable in read[command], f"{head}: {command} does not read vars.{variable}"
        for value in re.findall(r'"((?:\\.|[^"\\])*)"', body):
            # Icinga 2 resolves $name$ in custom variables: a JSONPath's $ must be $$
            assert not re.search(r"\$(?![\w.]+\$)", value.replace("$$", "")), f"{head}: lone $ in {value!r}"
    assert {f"cronchecks-{name}" for name in CHECKS} == used


def test_systemd_units_pass_systemd_analyze(tmp_path):
    for path in sorted((EXAMPLES / "systemd").glob("*.timer")):
        unit = CaseKeepingParser(strict=False, interpolation=None)
        unit.read_string(path.read_text())
        target = unit.get("Timer", "Unit", fallback=path.name.replace(".timer", ".service"))
        assert (EXAMPLES / "systemd" / target).exists(), f"{path.name} starts {target}, which is not beside it"
        assert unit.get("Install", "WantedBy") == "timers.target"
    for path in sorted((EXAMPLES / "systemd").glob("*.service")):
        unit = CaseKeepingParser(strict=False, interpolation=None)
        unit.read_string(path.read_text())
        assert unit.get("Service", "Type") == "oneshot"
        assert (EXAMPLES / "systemd" / path.name.replace(".service", ".timer")).exists()
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze here to verify the units with")
    for path in (EXAMPLES / "systemd").iterdir():
        # verify wants the executables to exist: point them at this checkout's commands
        (tmp_path / path.name).write_text(path.read_text().replace("/opt/cronchecks/bin/", f"{VENV_BIN}/"))
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=60)
    complaints = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and not complaints, complaints
    for path in sorted((EXAMPLES / "systemd").glob("*.timer")):
        for spec in re.findall(r"^OnCalendar=(.+)$", path.read_text(), re.M):
            calendar = subprocess.run([analyze, "calendar", spec], capture_output=True, text=True, timeout=30)
            assert calendar.returncode == 0, f"{path.name}: OnCalendar={spec}: {calendar.stderr}"


def test_kubernetes_cronjob_is_safe_to_leave_running():
    documents = [d for d in yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text()) if d]
    cronjob = next(d for d in documents if d["kind"] == "CronJob")
    from cronsim import CronSim

    CronSim(cronjob["spec"]["schedule"], datetime(2026, 1, 1, tzinfo=UTC))
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] < 300, "a hung suite must end before the next is due (5 minutes)"
    pod = job["template"]["spec"]
    container = pod["containers"][0]
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    argv = container["command"] + container.get("args", [])
    state_dir = argv[argv.index("--state-dir") + 1]
    assert state_dir in mounts.values(), "the store must be on a volume, or the policy forgets between Jobs"
    claims = {volume["name"]: volume["persistentVolumeClaim"]["claimName"]
              for volume in pod["volumes"] if "persistentVolumeClaim" in volume}
    state_volume = next(name for name, path in mounts.items() if path == state_dir)
    assert claims[state_volume] in {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    secrets = [e for e in container["env"] if "valueFrom" in e]
    assert secrets and all("secretKeyRef" in e["valueFrom"] for e in secrets)
    for entry in container["env"]:
        assert "PASSWORD" not in entry["name"] or "valueFrom" in entry, f"{entry['name']} given in clear"


def test_task_scheduler_xml_declares_its_real_encoding():
    for path in sorted((EXAMPLES / "task-scheduler").glob("*.xml")):
        declaration = path.read_bytes().split(b"?>", 1)[0]
        declared = re.search(rb'encoding="([^"]+)"', declaration)
        assert declared, f"{path.name}: no encoding in the XML declaration"
        encoding = declared.group(1).decode()
        path.read_bytes().decode(encoding)  # schtasks refuses a file whose bytes are not what it declares
        xml_exec_actions(path)


# --- the Datadog examples (run for real under the Agent's stubs in tests/engines/test_datadog.py) ---------


def test_datadog_configurations_are_valid_yaml():
    nagios = yaml.safe_load((EXAMPLES / "datadog" / "conf.d" / "nagios.d" / "conf.yaml").read_text())
    assert "init_config" in nagios and nagios["instances"][0]["nagios_conf"].endswith("nagios.cfg")
    assert nagios["instances"][0]["collect_service_performance_data"] is True
    custom = yaml.safe_load((EXAMPLES / "datadog" / "conf.d" / "cronchecks_heartbeat.d" / "conf.yaml").read_text())
    assert custom["instances"] and all("name" in instance for instance in custom["instances"])
    assert custom["init_config"]["cronchecks_bin"].endswith("/bin")
