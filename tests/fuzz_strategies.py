"""Hypothesis strategies for tests/test_fuzz.py, derived from the commands themselves.

Every option of every command is read from the typer/click command objects (`build_app()` for
`cronchecks VERB`, the registry for `check-NAME`): its flags, whether it is a flag, a count or
repeatable, its metavar. Values come from a pool per metavar (valid-looking, edge and hostile
values) mixed with random text, so a new option is fuzzed without editing this file; an unknown
metavar gets the generic pool.

Values are templates: @WS@ is the invocation's own scratch folder (also its cwd, HOME and state
folder's parent), @CLOSED@ a loopback port with nothing listening, @PORT@ the port of a loopback
HTTP server the test runs. Nothing here names a real file outside @WS@ that a command could write:
/dev/zero and /dev/null are reached through symlinks in @WS@ (an atomic replace swaps the link, a
plain write goes to the device), /etc/passwd through a copy (as root, a write through a link to it
would be real).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from cronchecks.core.registry import CHECKS

# --- the commands, read from their typer/click objects ------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One option or argument of a command, as click declares it."""

    name: str
    flags: tuple[str, ...]  # ('--timeout', '-t'); empty for an argument
    secondary: tuple[str, ...]  # ('--no-follow',)
    kind: str  # "flag", "count", "value" or "argument"
    multiple: bool
    nargs: int
    metavar: str  # normalised: no quotes, brackets or dots ("FILE_OR_GLOB", "NAME: VALUE")
    type_name: str  # click's type name: STRING, INT, BOOL
    required: bool

    @property
    def long(self) -> str:
        """The long flag (`--timeout`), or the argument's name."""
        return next((flag for flag in self.flags if flag.startswith("--")), self.flags[0] if self.flags else self.name)


@dataclass(frozen=True)
class Command:
    """A command to fuzz: `verb` is a check's name or one of the other verbs; `program` its argv head."""

    verb: str
    programs: tuple[tuple[str, ...], ...]  # ("cronchecks", "http") and ("check-http",)
    params: tuple[Param, ...]

    @property
    def is_check(self) -> bool:
        return self.verb in CHECKS

    def option(self, long: str) -> Param | None:
        return next((p for p in self.params if p.long == long), None)


def _metavar(raw: str | None, type_name: str) -> str:
    if not raw:
        return type_name
    text = raw.strip("'\"").replace("...", "")
    text = text.replace("[", "").replace("]", "").strip()
    return text or type_name


def _param(param: Any) -> Param:
    is_argument = not getattr(param, "opts", None) or not str(param.opts[0]).startswith("-")
    if is_argument:
        kind = "argument"
    elif getattr(param, "count", False):
        kind = "count"
    elif getattr(param, "is_flag", False):
        kind = "flag"
    else:
        kind = "value"
    type_name = str(getattr(param.type, "name", "") or "STRING").upper()
    return Param(
        name=param.name,
        flags=() if is_argument else tuple(param.opts),
        secondary=tuple(getattr(param, "secondary_opts", ()) or ()),
        kind=kind,
        multiple=bool(getattr(param, "multiple", False)),
        nargs=int(getattr(param, "nargs", 1)),
        metavar=_metavar(getattr(param, "metavar", None), type_name),
        type_name=type_name,
        required=bool(getattr(param, "required", False)),
    )


def discover_commands() -> tuple[Command, ...]:
    """Every command of `cronchecks` (build_app) and every check's standalone command (the registry)."""
    import typer

    from cronchecks.cli.app import build_app

    group: Any = typer.main.get_command(build_app())
    commands = []
    # A verb with subcommands (`downtime add`) is fuzzed as each of them: "downtime add" is its verb here.
    verbs = [(f"{verb} {name}" if hasattr(sub, "commands") else verb, command)
             for verb, sub in group.commands.items()
             for name, command in (getattr(sub, "commands", None) or {"": sub}).items()]
    for verb, sub in verbs:
        params = tuple(_param(p) for p in sub.params)
        programs: tuple[tuple[str, ...], ...] = (("cronchecks", *verb.split()),)
        if verb in CHECKS:
            # The standalone check-NAME, built from the registry as its console script builds it.
            app = typer.Typer(add_completion=False)
            app.command(name=f"check-{verb}")(CHECKS[verb].load_command())
            standalone: Any = typer.main.get_command(app)
            own = tuple(_param(p) for p in standalone.params)
            assert own == params, f"check-{verb} and cronchecks {verb} declare different options"
            programs += ((f"check-{verb}",),)
        commands.append(Command(verb, programs, params))
    return tuple(commands)


# Options deliberately not fuzzed, each with its reason (a test asserts each still exists).
EXCLUDED = {
    ("demo", "--keep-running"): "by design runs until Ctrl-C",
    ("run", "command"): "cronchecks run always wraps `-- true` here: only its own options are under test",
}

# --- the value pools, by metavar ----------------------------------------------------------------------

FLAPPING = ["30:25", "25:30", "50", "0:0", "100:100", "101:0", "-1:5", "nan:nan", "inf:1", ":", "a:b", "30:25:1", ""]

LONG = "x" * 10_000
CLOSED_URL = "http://127.0.0.1:@CLOSED@/"
SERVER = "http://127.0.0.1:@PORT@"

DURATION = ["10s", "0", "-5m", "99999999999999999999w", "1e308s", "500ms", "1h30m", "1d", "2w", "nan", "inf",
            "-inf", "", "  ", "5x", "1e-9s", "0.5", "5m 30s", "1 h", "+3s", "--1s", "1e400s", "9" * 400, "1s", "2s"]
RANGE = ["10", "10:", "~:10", "@10:20", "10:20", "20:10", "@~:", "~:~", ":", "", "garbage", "1e308", "-1e309",
         "500ms", "5m", "10MB", "50%", "nan", "inf", "@", "1:2:3", "@@1", "-5:-1", "99999999999999999999w", "0"]
SIZE = ["10MB", "0", "-1", "1", "1e308B", "99999999999999999999TB", "1.5KiB", "512", "10 MB", "x", "nan", "1e-3B",
        "1PB", "5%", "1KB"]
URL = [CLOSED_URL, "http://", "file:///etc/passwd", CLOSED_URL + "a" * 10_000, f"{SERVER}/", f"{SERVER}/json",
       f"{SERVER}/slow", f"{SERVER}/big", f"{SERVER}/redirect", f"{SERVER}/500", f"{SERVER}/heartbeat",
       "https://127.0.0.1:@PORT@/", "http://127.0.0.1:99999/", "http://[::1", "ftp://127.0.0.1/",
       "http://user:pass@127.0.0.1:@CLOSED@/", "sqlite:///@WS@/beats.sqlite", "sqlite:///@WS@/zero",
       "postgresql+psycopg://nobody@127.0.0.1:@CLOSED@/db", "mysql://x@127.0.0.1:@CLOSED@/db", "bogus://x", "",
       "127.0.0.1:@PORT@", f"{SERVER}/json?x=[y]", "http://localhost:@CLOSED@/", "http://no-such-host.invalid/"]
PATH = ["@WS@/small.log", "@WS@/dir", "@WS@/missing", "@WS@/" + "a" * 5000, "@WS@/fifo", "@WS@/zero", "@WS@/null",
        "@WS@/passwd", "@WS@/empty", "@WS@/binary.bin", "@WS@/longline.log", "@WS@/*.log", "@WS@/**/*", "~", "~/x",
        "-", "", ".", "@WS@/dir/../small.log", "@WS@/small.log/child", "@WS@/" + "d/" * 2000, "@WS@/loop",
        "@WS@/dangling", "small.log", "@WS@/[", "@WS@/suite.toml", "@WS@/manifest.sha256", "@WS@/beats.sqlite"]
DIR = ["@WS@/dir", "@WS@", "@WS@/missing", "@WS@/small.log", "@WS@/newdir/sub", "@WS@/" + "a" * 5000, "~", "",
       "@WS@/fifo", "@WS@/zero", "@WS@/loop", "."]
TOML_FILE = ["@WS@/suite.toml", "@WS@/bad.toml", "@WS@/missing.toml", "@WS@/zero", "@WS@/fifo", "@WS@/dir",
             "@WS@/empty", "@WS@/passwd", "@WS@/binary.bin"]
REGEX = ["CRITICAL", "ERROR|WARN", "(", "[a-", "(x+x+)+y", "(a*)*b", "^(a|a)*$", "\\", "a{99999}", "(?i)critical", "^$",
         "", "(?P<x>a)(?P=x)", "\\1", LONG, "(?<=a)b", "*", "+", "?", "[[:alpha:]]", "\\d+", "(?P<n", "(.*a){25}",
         "(?:(?:(?:(?:a*)*)*)*)*$", "(" * 1000 + ")" * 1000, ".*", "x"]
JSONPATH = ["$.status", "$", "$..*", "$[", "$.lastHeartbeatAt", "$.nested.list[0]", "$['a']", "$[?@.n > 1]", "$.x.y.z",
            "status", "$..", "$[-1]", "$.*.*.*", "$[" * 500, "$." + "a." * 2000 + "a", "$.n"]
EXPR = ['$.status == "healthy"', "$.n > 5", "$.status", "$.missing == 1", "garbage", "$[ == ", '$.n ~= "x"', "$.n >",
        "== 1", '$.status != "degraded"', "$..* == 1", '$.status =~ "(x+x+)+y"', "$.n == 1e999", "$[" * 500]
TEXT = ["hello", "", "line1\nline2", "\r\n", "\x1b[31mred\x1b[0m", "[bold]x[/bold]", "[/]", "%s%n%x", "{0}{}", "'\"",
        "|", "a=b", "\t", "\u202egnp.exe", "é✓🙂", LONG, "\x07\x08\x7f", "-", "--", "OK - fake | x=1"]
HEADER = ["X-Test: 1", "bad", ": x", "Host: evil", "X: a\r\nInjected: y", "A" * 10_000 + ": b", "Content-Length: -1",
          "X-Bad Name: v", "X:", "Transfer-Encoding: chunked", "Authorization: Bearer x"]
HEADER_RULE = ["X-Cache: HIT", "Server", "Server:", ": x", "X-Bad Name: v", "Content-Type: (", "X: (x+x+)+y",
               "Set-Cookie: session=", "A" * 10_000, "X: \\1", "X-Test: (?i)hit", "x:y:z", "\r\n: a"]
METHOD = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "G E T", "", "PATCH", "CONNECT", "TRACE", "get",
          "X" * 1000]
NUMBER = ["0", "1", "-1", "3", "99999999999999999999", "x", "1.5", "  2", "+5", "1e3", ""]
VAR = ["HOME", "NO_SUCH_VAR_XYZ", "", "A=B", "PATH", "FUZZ_SECRET", "FUZZ_EMPTY", "FUZZ_NEWLINE", "FUZZ_LONG"]
STATUS_LIST = ["200", "200-299", "2xx", "abc", "999999999999", "-1", "200,", "", "200,301-302", "599-100", "200 301",
               "1e3"]
DAYS = ["30", "30d", "-1", "0", "1e308", "x", "99999999999999999999", "7.5", "nan"]
STATE = ["ok", "warning", "critical", "unknown", "OK", "maybe", "", "3", "Warning ", " critical"]
FORMAT = ["nagios", "json", "table", "auto", "xml", "JSON", "", "slack", "teams", "discord", "generic", "text", "html"]
SQL = ["select 1", "select max(t) from beats", "select count(*) from beats", "select * from nowhere",
       "delete from beats", "", "select 'x'", "select 1e999", "select null", "select", ";",
       "with recursive r(n) as (select 1 union all select n+1 from r) select count(*) from r"]
CRON = ["* * * * *", "15 2 * * *", "@daily", "@hourly", "61 * * * *", "* * *", "0 0 31 2 *", "garbage", "@reboot",
        "*/0 * * * *", "0 0 * * 8", "* * * * * *", "0 0 29 2 1", "", "L * * * *"]
ZONE = ["UTC", "Europe/Paris", "Mars/Olympus", "", "../../etc/passwd", "+05:00", "local", "America/New_York",
        "Etc/GMT+14", "EST5EDT", "/etc/localtime", "a" * 5000]
STRFTIME = ["%Y-%m-%d %H:%M:%S", "%", "%Q", "", "%s", "%Y" * 1000, "%d/%b/%Y:%H:%M:%S %z", "%H:%M",
            "%Y-%m-%dT%H:%M:%S%z", "%%", "%f"]
ENGINE = ["re", "hyperscan", "auto", "x", "RE", ""]
UNIT = ["ssh.service", "nonexistent.service", "", "../x", "-.mount", "a" * 300, "foo bar", "*"]
USER = ["root", "nobody", "99999", "", "nosuchuser", "0", "-1"]
PERCENT = ["50", "50%", "101", "-1", "x", "1e308", "0", "nan", "100"]
HOST_PORT = ["127.0.0.1:@CLOSED@", "127.0.0.1:@PORT@", "localhost:0", "[::1]:@CLOSED@", ":80", "host",
             "127.0.0.1:99999", "10.255.255.1:80", "no-such-host.invalid:80", "127.0.0.1:-1", "[::1", "127.0.0.1:",
             "a..b:80", "é..:80", "[]:80"]
# Commands a check or a hook may run: harmless ones only (the fuzz runs as whoever runs the tests).
COMMAND = ["true", "false", "echo 0", "echo 5", "sleep 30", "yes", "cat /dev/zero", "no-such-cmd-xyz", "'unclosed",
           "echo ${HOME}", "exit 3", "", "sh -c 'exit 7'", "echo " + "x" * 10_000, "printf '\\x80\\xff'"]
ADDRESS = ["ops@example.com", "bad", "", "a@b@c", "x\n@y", "<a@b>", "a@127.0.0.1"]
KINDS = ["problem,recovery", "all", "problem", "x", "", "recovery,reminder", "PROBLEM"]
NAMESPACE = ["MyApp", "", "AWS/x", "a" * 300, "x y"]
KEY_VALUE = ["env=prod", "bad", "=", "a=b=c", "=v", "k=", "k=" + "v" * 2000]
COUNT_DURATION = ["3/1h", "3", "x/y", "0/0", "-1/1h", "99999999999999999999/1e308s", "/", "1/", "3/0s"]
TIME = ["2026-01-01T00:00:00", "0", "-1", "1e308", "99999999999", "now", "garbage", "2026-13-45",
        "2026-01-01T00:00:00+99:00", "", "1e18"]
NAME = ["python3", "init", "", "x" * 5000, "sha256", "md5", "blake2b", "sha3_512", "shake_128", "nope", "web-*", "[",
        "a|b", "x\ny", "vm"]
LABEL = ["time", "size", "", "x" * 1000, "'", "matches", "age"]
PID = ["1", "0", "-1", "99999999", "x", "", "1.5", "4194304", "99999999999999999999"]
PROCSTATE = ["zombie", "stopped", "Z", "T", "t", "running,sleeping", "idle", "disk-sleep", "", ",", "x", "ZOMBIE"]
UNITSTATE = ["active", "inactive", "failed", "", "INACTIVE", "x"]
ENCRYPTION = ["none", "xor", "XOR", " xor", "", "3des", "des", "rijndael-128", "1", "x" * 1000]  # --nsca-encryption
# ssh's target and -o options (run's --on-fail-ssh*, a suite command's ssh keys): nothing here reaches a real host.
HOST = ["no-such-host.invalid", "127.0.0.1", "root@127.0.0.1", "-oProxyCommand=touch @WS@/pwned", "", "a b",
        "x" * 300, "[::1]", "user@", "\x1b[31m"]
SSH_OPTION = ["Port=@CLOSED@", "BatchMode=no", "ConnectTimeout=1", "bad", "=", "-F @WS@/x", "Port=", "User=nobody",
              "ProxyCommand=false", "Port=" + "9" * 300]
OUTBOX_ACTION = ["list", "retry", "purge", "LIST", "", "drop", "x" * 1000]
PROTOCOL = ["smtp", "imap", "pop3", "ftp", "ldap", "postgres", "SMTP", " ldap ", "", "http", "x" * 1000]
ENCODING = ["auto", "utf-8", "utf-16", "utf-16le", "UTF-16BE", "latin-1", "cp1252", "utf-32", "utf-7", "shift_jis",
            "cp037", "rot13", "base64", "zlib", "klingon", "", " ", "idna", "punycode", "mbcs", "x" * 1000]
LEVEL = ["err", "0", "7", "0..3", "warning..err", "debug..emerg", "loud", "8", "-1", "..", "err..", "..err", "",
         "ERR", "panic", "3..3", "0..7..1"]
TLS_VERSION = ["1.2", "1.3", "1.1", "1", "TLSv1.3", "", "x", "1.4", "1.3+"]
PHASE_RANGE = ["tls=1s", "dns=10ms", "firstbyte=500ms:", "transfer=@0:1", "connect=", "=1s", "ssl=1s", "tls",
               "tls=garbage", "time_tls=1e308s", "TLS=-1", "tls=1s=2s"]

POOLS: dict[str, list[str]] = {
    "DURATION": DURATION, "RANGE": RANGE, "SIZE": SIZE, "URL": URL, "PATH": PATH, "FILE": PATH,
    "FILE_OR_GLOB": PATH, "DIR": DIR, "FILE.toml": TOML_FILE, "REGEX": REGEX, "JSONPATH": JSONPATH, "EXPR": EXPR,
    "TEXT": TEXT, "NAME: VALUE": HEADER, "NAME: REGEX": HEADER_RULE, "METHOD": METHOD, "N": NUMBER, "INT": NUMBER,
    "VAR": VAR,
    "LIST": STATUS_LIST, "DAYS": DAYS, "STATE": STATE, "FORMAT": FORMAT, "SQL": SQL, "CRON": CRON, "ZONE": ZONE,
    "STRFTIME": STRFTIME, "ENGINE": ENGINE, "UNIT": UNIT, "USER": USER, "PERCENT": PERCENT, "HOST:PORT": HOST_PORT,
    "CMD ARGS": COMMAND, "COMMAND": COMMAND, "ADDR": ADDRESS, "KINDS": KINDS, "NAMESPACE": NAMESPACE,
    "K=V": KEY_VALUE, "COUNT/DURATION": COUNT_DURATION, "TIME": TIME, "NAME": NAME, "LABEL": LABEL,
    "PID": PID, "PROCSTATE": PROCSTATE, "UNITSTATE": UNITSTATE,
    "ENCRYPTION": ENCRYPTION,
    "HOST": HOST, "KEY=VALUE": SSH_OPTION,
    "PROTOCOL": PROTOCOL,
    "ENCODING": ENCODING, "LEVEL": LEVEL,
    "VERSION": TLS_VERSION, "NAME=RANGE": PHASE_RANGE,
    "HIGH:LOW": FLAPPING, "NAME_OR_GLOB": NAME,
    "list|retry|purge": OUTBOX_ACTION,
}
GENERIC = [*TEXT[:12], *NUMBER, *DURATION[:6], "@WS@/small.log", "@WS@/fifo", CLOSED_URL]
PATHLIKE = {"PATH", "FILE", "FILE_OR_GLOB", "DIR", "FILE.toml"}
COMMANDLIKE = {"CMD ARGS", "COMMAND"}

# Random text: anything argv can carry (no NUL, no lone surrogates).
_ARGV_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
random_text = st.text(_ARGV_CHARS, max_size=40)
# As a path: relative (so inside @WS@, the cwd) and never climbing out of it.
_random_path = random_text.map(lambda s: s.lstrip("/~").replace("..", "_"))
# As a command: an argument of echo, without the shell's ways to run something else.
_random_command = random_text.map(lambda s: "echo " + re.sub(r"[`$;|&<>()\\\n]", "_", s))


def values_for(metavar: str, type_name: str = "STRING") -> st.SearchStrategy[str]:
    """Values for an option with this metavar: mostly its pool, sometimes random text (shaped to be safe)."""
    pool = POOLS.get(metavar) or (NUMBER if type_name == "INT" else GENERIC)
    if metavar in PATHLIKE:
        noise = _random_path
    elif metavar in COMMANDLIKE:
        noise = _random_command
    elif type_name == "INT":
        noise = st.one_of(st.integers().map(str), random_text)
    else:
        noise = random_text
    pooled = st.sampled_from(pool)
    return st.one_of(pooled, pooled, pooled, noise)


# --- one command line -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """One command line: `given` is what the fuzzer chose, as (flag, value-template or None) in argv order."""

    command: Command
    program: tuple[str, ...]
    argv: tuple[str, ...]  # templates (placeholders unresolved), after the program
    given: tuple[tuple[str, str | None], ...]

    def values_of(self, long: str) -> list[str]:
        return [value for flag, value in self.given if flag == long and value is not None]

    def has(self, long: str) -> bool:
        return any(flag == long for flag, _ in self.given)

    def last(self, long: str) -> str | None:
        values = self.values_of(long)
        return values[-1] if values else None


def _occurrences(param: Param) -> st.SearchStrategy[list[tuple[str, list[str]]]]:
    """argv pieces for one option: a list of (long name, tokens), one per occurrence."""
    if param.kind == "flag":
        return st.sampled_from(param.flags + param.secondary).map(lambda flag: [(param.long, [flag])])
    if param.kind == "count":
        return st.integers(1, 3).flatmap(lambda n: st.sampled_from([
            [(param.long, ["-" + "v" * n])] if "-v" in param.flags else [(param.long, [param.long])] * n,
            [(param.long, [param.long])] * n,
        ]))
    values = values_for(param.metavar, param.type_name)
    spelled = st.tuples(st.sampled_from(param.flags), values, st.booleans()).map(
        lambda t: (param.long, [f"{t[0]}={t[1]}"] if t[2] and t[0].startswith("--") else [t[0], t[1]]))
    return st.lists(spelled, min_size=1, max_size=3 if param.multiple else 1)


def _arguments(param: Param) -> st.SearchStrategy[list[str]]:
    values = values_for(param.metavar, param.type_name)
    if param.nargs == 1:
        return values.map(lambda v: [v])
    return st.lists(values, min_size=1 if param.required else 0, max_size=3)


@st.composite
def invocations(draw: Any, commands: tuple[Command, ...]) -> Invocation:
    # Weights: the checks most (two program names each), the verbs less, the slow demo (~6 s) rarely.
    weighted = [c for c in commands for _ in range(1 if c.verb == "demo" else 30 if c.is_check else 20)]
    command = draw(st.sampled_from(weighted))
    program = draw(st.sampled_from(command.programs))
    fuzzable = [p for p in command.params if (command.verb, p.long) not in EXCLUDED]
    options = [p for p in fuzzable if p.kind != "argument"]
    arguments = [p for p in fuzzable if p.kind == "argument"]
    chosen = draw(st.lists(st.sampled_from(options), max_size=6, unique_by=lambda p: p.name)) if options else []
    pieces: list[tuple[str, list[str]]] = []
    for param in chosen:
        pieces += draw(_occurrences(param))
    argv: list[str] = []
    given: list[tuple[str, str | None]] = []
    for long, tokens in pieces:
        argv += tokens
        value = tokens[-1].split("=", 1)[1] if len(tokens) == 1 and "=" in tokens[0] and tokens[0].startswith("--") \
            else (tokens[1] if len(tokens) == 2 else None)
        given.append((long, value))
    positional: list[str] = []
    for param in arguments:
        if param.required or draw(st.booleans()):
            if draw(st.integers(0, 19)) == 0:
                continue  # a missing argument now and then: a usage error
            values = draw(_arguments(param))
            positional += values
            given += [(param.long, value) for value in values]
    where = draw(st.sampled_from(["before", "after", "after --"]))
    if command.verb == "run":
        argv = [*argv, "--", "true"]
    elif where == "before":
        argv = positional + argv
    elif where == "after":
        argv = argv + positional
    else:
        argv = [*argv, "--", *positional]
    return Invocation(command, program, tuple(argv), tuple(given))


# --- suite files ------------------------------------------------------------------------------------


def suite_keys(commands: tuple[Command, ...]) -> dict[str, dict[str, str]]:
    """Per check type, its suite keys (the options' long names, and their -env/-file forms) -> metavar."""
    keys: dict[str, dict[str, str]] = {}
    for command in commands:
        if not command.is_check:
            continue
        own: dict[str, str] = {}
        for param in command.params:
            if param.long in ("--version",):
                continue
            key = param.long.removeprefix("--")
            own[key] = param.metavar
            own[f"{key}-env"] = "VAR"
            own[f"{key}-file"] = "PATH"
        keys[command.verb] = own
    return keys


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escapes = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


_toml_scalars = st.one_of(
    random_text,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, None])).map(lambda d: d.replace(microsecond=0)),
    st.dates(),
    st.times().map(lambda t: t.replace(microsecond=0)),
)
toml_values = st.recursive(
    _toml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(_ARGV_CHARS, min_size=1, max_size=8), children, max_size=3)),
    max_leaves=6,
)


@st.composite
def suite_documents(draw: Any, commands: tuple[Command, ...]) -> str:
    """A suite file's text: [defaults] and [[check]] tables with keys from the checks' options, any TOML values."""
    from cronchecks.alerting.settings import ALERT_KEYS
    from cronchecks.suite.file import RUN_KEYS, SSH_DEFAULT_KEYS, SSH_KEYS

    per_type = suite_keys(commands)
    lines: list[str] = []

    def value_for(metavar: str | None) -> Any:
        if metavar is not None and draw(st.integers(0, 2)) > 0:
            return draw(values_for(metavar))
        return draw(toml_values)

    if draw(st.booleans()):
        lines.append("[defaults]")
        defaults = [*ALERT_KEYS, *RUN_KEYS, *SSH_DEFAULT_KEYS, *(f"{k}-env" for k in ALERT_KEYS),
                    *(f"{k}-file" for k in ALERT_KEYS)]
        keys_drawn = draw(st.lists(st.one_of(st.sampled_from(defaults), random_text), max_size=3, unique=True))
        lines += [f"{_toml_key(k)} = {toml_value(value_for('TEXT' if k in defaults else None))}" for k in keys_drawn]
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.one_of(st.sampled_from([*per_type, "command"]), random_text))
        keys = per_type.get(kind, {})
        lines.append("[[check]]")
        if draw(st.integers(0, 9)):
            lines.append(f"name = {toml_value(draw(st.one_of(st.just(f'c{index}'), random_text, toml_values)))}")
        if draw(st.integers(0, 9)):
            lines.append(f"type = {toml_value(kind)}")
        if kind == "command" and draw(st.booleans()):
            lines.append(f"argv = {toml_value(['true', *draw(st.lists(random_text, max_size=2))])}")
        choices = [*keys, *ALERT_KEYS, *RUN_KEYS, *SSH_KEYS, "label", "nagios", "argv"]
        keys_drawn = draw(st.lists(st.one_of(st.sampled_from(choices), random_text), max_size=5, unique=True))
        ssh_metavars = {"ssh": "HOST", "ssh-options": "KEY=VALUE", "ssh-config": "FILE"}
        lines += [f"{_toml_key(k)} = {toml_value(value_for(keys.get(k) or ssh_metavars.get(k)))}" for k in keys_drawn]
    if draw(st.integers(0, 9)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(random_text))  # raw noise: most often invalid TOML
    return "\n".join(lines) + "\n"
