"""The plain-text start of each --starttls protocol, up to the point where the TLS handshake begins.

SMTP, IMAP, POP3 and FTP are lines; LDAP's StartTLS is an extended request in BER and
PostgreSQL's an 8-byte SSLRequest, both fixed byte strings with a short answer to read.
"""

from __future__ import annotations

from collections.abc import Callable

from cronchecks.service.tcpoptions import quoted
from cronchecks.service.tcpstream import Conversation, ProbeFailed

# LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
# (RFC 4511 4.14.1): the whole request is these 31 bytes.
_LDAP_OID = b"1.3.6.1.4.1.1466.20037"
LDAP_STARTTLS = (b"\x30" + bytes((len(_LDAP_OID) + 7,)) + b"\x02\x01\x01"
                 + b"\x77" + bytes((len(_LDAP_OID) + 2,)) + b"\x80" + bytes((len(_LDAP_OID),)) + _LDAP_OID)
# Length 8, then the code 80877103 (1234 in the high half, 5679 in the low): PostgreSQL's SSLRequest.
POSTGRES_SSLREQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
_LDAP_EXTENDED_RESPONSE = 0x78


def upgrade(conversation: Conversation, protocol: str, client_name: str) -> None:
    """Speak `protocol` until the server agreed to TLS; a refusal or a surprise is ProbeFailed."""
    _PROTOCOLS[protocol](conversation, client_name)


def _reply(conversation: Conversation, what: str) -> tuple[bytes, list[bytes]]:
    """An SMTP or FTP reply (`220-...` lines, then `220 ...`): its code and its lines."""
    first = conversation.line(what)
    code = first[:3]
    if not code.isdigit() or first[3:4] not in (b" ", b"-", b"\r", b"\n"):
        raise ProbeFailed(f"answered {quoted(first)} {what}, not a numbered reply")
    lines = [first]
    if first[3:4] == b"-":
        # The last line repeats the code and a space (RFC 5321 4.2, RFC 959 4.2: FTP's middle lines are free text).
        while True:
            line = conversation.line(what)
            lines.append(line)
            if line[:3] == code and line[3:4] in (b" ", b"\r", b"\n"):
                break
    return code, lines


def _numbered(conversation: Conversation, command: bytes | None, wanted: bytes, what: str) -> list[bytes]:
    if command is not None:
        conversation.send(command, what)
    code, lines = _reply(conversation, what)
    if code != wanted:
        raise ProbeFailed(f"answered {quoted(lines[-1].rstrip())} {what} (expected {wanted.decode()})")
    return lines


def _smtp(conversation: Conversation, client_name: str) -> None:
    _numbered(conversation, None, b"220", "in its greeting")
    lines = _numbered(conversation, f"EHLO {client_name}\r\n".encode(), b"250", "to EHLO")
    if not any(line[4:].strip().upper().split(b" ")[0] == b"STARTTLS" for line in lines[1:]):
        raise ProbeFailed("does not offer STARTTLS in its EHLO answer")
    _numbered(conversation, b"STARTTLS\r\n", b"220", "to STARTTLS")


def _ftp(conversation: Conversation, client_name: str) -> None:
    _numbered(conversation, None, b"220", "in its greeting")
    _numbered(conversation, b"AUTH TLS\r\n", b"234", "to AUTH TLS")


def _pop3(conversation: Conversation, client_name: str) -> None:
    greeting = conversation.line("in its greeting")
    if not greeting.startswith(b"+OK"):
        raise ProbeFailed(f"greeted with {quoted(greeting.rstrip())}, not +OK")
    conversation.send(b"STLS\r\n", "STLS")
    answer = conversation.line("to STLS")
    if not answer.startswith(b"+OK"):
        raise ProbeFailed(f"answered {quoted(answer.rstrip())} to STLS")


def _imap(conversation: Conversation, client_name: str) -> None:
    greeting = conversation.line("in its greeting")
    if not greeting.upper().startswith(b"* OK"):
        raise ProbeFailed(f"greeted with {quoted(greeting.rstrip())}, not * OK")
    conversation.send(b"C1 STARTTLS\r\n", "STARTTLS")
    while True:  # untagged lines (`* CAPABILITY ...`) may come before the tagged answer
        answer = conversation.line("to STARTTLS")
        if answer.upper().startswith(b"C1 "):
            break
    if not answer[3:].upper().startswith(b"OK"):
        raise ProbeFailed(f"answered {quoted(answer.rstrip())} to STARTTLS")


def _postgres(conversation: Conversation, client_name: str) -> None:
    conversation.send(POSTGRES_SSLREQUEST, "SSLRequest")
    answer = conversation.exact(1, "to the SSLRequest")
    if answer == b"N":
        raise ProbeFailed("refused TLS (the server has ssl = off)")
    if answer != b"S":
        raise ProbeFailed(f"answered {quoted(answer)} to the SSLRequest, not S or N")


def _ldap(conversation: Conversation, client_name: str) -> None:
    conversation.send(LDAP_STARTTLS, "the StartTLS request")
    what = "to the StartTLS request"
    tag, body = _ber_read(conversation, what)
    if tag != 0x30:
        raise ProbeFailed(f"answered {what} with no LDAP message")
    elements = _ber_split(body, what)
    if len(elements) < 2 or elements[0][0] != 0x02 or elements[1][0] != _LDAP_EXTENDED_RESPONSE:
        raise ProbeFailed(f"answered {what} with no extended response")
    parts = _ber_split(elements[1][1], what)
    if not parts or parts[0][0] != 0x0A:
        raise ProbeFailed(f"answered {what} without a result code")
    code = int.from_bytes(parts[0][1], "big")
    if code != 0:
        message = parts[2][1].decode("utf-8", "replace").strip() if len(parts) > 2 else ""
        raise ProbeFailed(f"refused StartTLS (LDAP result {code}{': ' + message if message else ''})")


def _ber_read(conversation: Conversation, what: str) -> tuple[int, bytes]:
    """One BER element from the stream: (tag, content); only definite lengths, as LDAP allows (RFC 4511 5.1)."""
    tag, length = conversation.exact(2, what)
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 3:
            raise ProbeFailed(f"answered {what} with a bad BER length")
        length = int.from_bytes(conversation.exact(count, what), "big")
    return tag, conversation.exact(length, what)


def _ber_split(data: bytes, what: str) -> list[tuple[int, bytes]]:
    """The BER elements one after the other in `data`: [(tag, content)]."""
    elements = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ProbeFailed(f"answered {what} with a truncated BER element")
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 3 or pos + count > len(data):
                raise ProbeFailed(f"answered {what} with a bad BER length")
            length = int.from_bytes(data[pos:pos + count], "big")
            pos += count
        if pos + length > len(data):
            raise ProbeFailed(f"answered {what} with a truncated BER element")
        elements.append((tag, data[pos:pos + length]))
        pos += length
    return elements


_PROTOCOLS: dict[str, Callable[[Conversation, str], None]] = {
    "smtp": _smtp, "imap": _imap, "pop3": _pop3, "ftp": _ftp, "ldap": _ldap, "postgres": _postgres,
}
