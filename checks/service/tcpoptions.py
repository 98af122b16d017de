"""check-service's TCP and UDP probe options: what to send, expect and judge on each --port, read and checked."""

from __future__ import annotations

from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import ParseError, Range, parse_days, parse_range, plain_number
from cronchecks.core.values import OptionValues

STARTTLS_PROTOCOLS = ("smtp", "imap", "pop3", "ftp", "ldap", "postgres")
_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", "0": b"\0"}


class TcpProbe(NamedTuple):
    """What is done on each --port beyond the connection; the defaults only connect.

    NamedTuple rather than a dataclass: it is built on every run, and a dataclass costs start-up.
    """

    send: bytes | None = None
    expect: tuple[bytes, ...] = ()
    expect_any: bool = False
    quit: bytes | None = None
    tls: bool = False
    starttls: str | None = None
    udp: bool = False
    cert_warning: Range | None = None  # on days left: alerts below its start
    cert_critical: Range | None = None
    warning: Range | None = None  # on the connect-and-answer time, seconds
    critical: Range | None = None

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.starttls is not None

    @property
    def judges_certificate(self) -> bool:
        return self.cert_warning is not None or self.cert_critical is not None

    @property
    def given(self) -> bool:
        """Whether any probe option was given (they all need a --port)."""
        return self != NO_PROBE


NO_PROBE = TcpProbe()  # connect, nothing more


def parse_escapes(text: str) -> bytes:
    r"""The bytes `text` stands for: UTF-8, with `\r`, `\n`, `\t`, `\\`, `\0` and `\xHH` read as those bytes.

    Any other backslash is a mistake, not a literal: `\R` or a trailing `\` would otherwise
    be sent as typed, and the server would wait for a line end that never comes.
    """
    out = bytearray()
    pos = 0
    while True:
        found = text.find("\\", pos)
        if found < 0:
            out += text[pos:].encode("utf-8", "surrogateescape")
            return bytes(out)
        out += text[pos:found].encode("utf-8", "surrogateescape")
        code = text[found + 1:found + 2]
        if code in _ESCAPES:
            out += _ESCAPES[code]
            pos = found + 2
        elif code == "x" and _is_hex(text[found + 2:found + 4]):
            out.append(int(text[found + 2:found + 4], 16))
            pos = found + 4
        else:
            shown = text[found:found + 2] if code else "\\"
            # Quoted by hand: repr() would double every backslash the user typed.
            raise ParseError(f"unknown escape '{shown}' in '{text}' (use \\r, \\n, \\t, \\\\, \\0 or \\xHH)")


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(ch in "0123456789abcdefABCDEF" for ch in pair)


def show_bytes(data: bytes, limit: int = 60) -> str:
    r"""A server's bytes for a summary, in the escapes --send takes (`220 ready\r\n`), cut at `limit` characters."""
    parts: list[str] = []
    size = 0
    reverse = {value: f"\\{key}" for key, value in _ESCAPES.items()}
    for byte in data:
        char = bytes((byte,))
        piece = reverse.get(char) or (chr(byte) if 0x20 <= byte < 0x7F and byte != 0x27 else f"\\x{byte:02x}")
        if size + len(piece) > limit:
            parts.append("...")
            break
        parts.append(piece)
        size += len(piece)
    return "".join(parts)


def quoted(data: bytes, limit: int = 60) -> str:
    """`data` shown in single quotes for a summary (a quote inside is `\\x27`)."""
    return "'" + show_bytes(data, limit) + "'"


def _day_range(days: float | None, flag: str) -> Range | None:
    if days is None:
        return None
    if days < 0:
        raise UsageError(f"{flag} cannot be negative")
    return Range(start=days, text=f"{plain_number(days)}:")


def _time_range(text: str) -> Range:
    return parse_range(text, "duration")


def read_probe(values: OptionValues) -> TcpProbe:
    """The probe options from their values by long name; a bad value is an OptionError naming its option."""
    quit_text = values.parsed("quit", parse_escapes)
    if quit_text is not None and not quit_text.endswith(b"\n"):
        quit_text += b"\r\n"  # as check_tcp's -q: a quit command is a line
    starttls = values.text("starttls")
    if starttls is not None:
        starttls = _protocol(starttls)
    return TcpProbe(
        send=values.parsed("send", parse_escapes),
        expect=tuple(_expected(text) for text in values.texts("expect")),
        expect_any=values.flag("expect-any"),
        quit=quit_text,
        tls=values.flag("tls"),
        starttls=starttls,
        udp=values.flag("udp"),
        cert_warning=_day_range(values.parsed("cert-warning", parse_days), "--cert-warning"),
        cert_critical=_day_range(values.parsed("cert-critical", parse_days), "--cert-critical"),
        warning=values.parsed("port-warning", _time_range),
        critical=values.parsed("port-critical", _time_range),
    )


def _protocol(text: str) -> str:
    """The --starttls protocol, case-insensitive."""
    name = text.strip().lower()
    if name not in STARTTLS_PROTOCOLS:
        from cronchecks.core.values import OptionError

        raise OptionError("starttls", f"{text!r} ({', '.join(STARTTLS_PROTOCOLS)})")
    return name


def _expected(text: str) -> bytes:
    from cronchecks.core.values import OptionError

    try:
        expected = parse_escapes(text)
    except ParseError as error:
        raise OptionError("expect", str(error)) from None
    if not expected:
        raise OptionError("expect", "an empty text is found in every answer (give what the server must say)")
    return expected


def validate_probe(probe: TcpProbe, ports: tuple[str, ...]) -> None:
    """Refuse probe options that cannot mean anything, before connecting anywhere."""
    if not probe.given:
        return
    if not ports:
        raise UsageError("--send, --expect, --quit, --tls, --starttls, --udp, --cert-* and --port-* go with --port")
    if probe.expect_any and not probe.expect:
        raise UsageError("--expect-any goes with --expect")
    if probe.tls and probe.starttls:
        raise UsageError("--tls is TLS from the first byte, --starttls an upgrade: give one")
    if probe.udp:
        if probe.uses_tls:
            raise UsageError("--tls and --starttls are TCP: they do not go with --udp")
        if probe.quit is not None:
            raise UsageError("--quit closes a TCP connection: UDP has none")
        if probe.send is None:
            raise UsageError("--udp needs --send: a UDP service answers only what it is sent")
        if not probe.send:
            raise UsageError("--udp needs a --send that is not empty")
    if probe.starttls and probe.expect and probe.send is None:
        # After the upgrade the server waits for a command: an --expect alone would wait for the timeout.
        raise UsageError("--expect after --starttls needs a --send (the server says nothing more after the upgrade)")
    if probe.judges_certificate and not probe.uses_tls:
        raise UsageError("--cert-warning/--cert-critical need --tls or --starttls")
