"""One conversation on a socket for check-service's port probe: every read bounded in size and by the deadline."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from cronchecks.core.errors import DeadlinePassed
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime

if TYPE_CHECKING:
    import ssl

# A port probe reads a greeting, a few protocol lines or an answer to match: 64 KiB is far
# more than any of them, and a server streaming without end stops being read there.
READ_LIMIT = 64 * 1024
# Once some of an answer has come, a pause this long ends it (check_tcp waits 2 s too): a
# server that said the wrong thing and keeps the connection open is a mismatch, not a timeout.
QUIET = 2.0


class ProbeFailed(Exception):
    """The conversation went wrong in a way that decides the port's state; the text is for the summary."""

    def __init__(self, text: str, status: Status = Status.CRITICAL) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


class Conversation:
    """A connected socket (plain, TLS or UDP) with a buffer; what it received counts against READ_LIMIT."""

    def __init__(self, sock: socket.socket, runtime: Runtime, *, chunk: int = 16384) -> None:
        self.sock = sock
        self.runtime = runtime
        self.chunk = chunk
        self.buffer = bytearray()
        self.received = 0
        self.closed = False  # the peer ended its side

    def _wait(self, pause: float | None) -> float | None:
        left = self.runtime.remaining()
        if pause is None:
            return left
        return pause if left is None else min(pause, left)

    def _deadline_passed(self) -> bool:
        return self.runtime.deadline is not None and time.monotonic() >= self.runtime.deadline

    def send(self, data: bytes, what: str = "sending") -> None:
        self.sock.settimeout(self._wait(None))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise DeadlinePassed(f"the deadline passed while {what}") from None

    def fill(self, what: str, pause: float | None = None) -> bool:
        """Read once more into the buffer; False when the peer closed, or was quiet for `pause` seconds."""
        if self.closed:
            return False
        if self.received >= READ_LIMIT:
            raise ProbeFailed(f"sent more than {READ_LIMIT // 1024} KiB {what}")
        self.sock.settimeout(self._wait(pause))
        try:
            data = self.sock.recv(min(self.chunk, READ_LIMIT - self.received))
        except TimeoutError:
            if pause is None or self._deadline_passed():
                raise DeadlinePassed(f"no answer in time ({what})") from None
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.received += len(data)
        self.buffer += data
        return True

    def line(self, what: str) -> bytes:
        """The next line, its ending included; the connection closing before one is a failure."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line
            if not self.fill(what):
                raise ProbeFailed(f"closed the connection {what}")

    def exact(self, count: int, what: str) -> bytes:
        while len(self.buffer) < count:
            if not self.fill(what):
                raise ProbeFailed(f"closed the connection {what}")
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def expect(self, expected: tuple[bytes, ...], any_of: bool) -> bool:
        """Read until the expected texts are in what came (all, or one with `any_of`); False if they never are.

        The wait for the first byte is bounded by the deadline alone; after that a quiet pause,
        the peer closing or READ_LIMIT ends the answer.
        """
        started = self.received
        while True:
            found = [text in self.buffer for text in expected]
            if any(found) if any_of else all(found):
                return True
            if self.received >= READ_LIMIT:
                return False
            if not self.fill("before the expected answer", None if self.received == started else QUIET):
                return False

    def start_tls(self, context: ssl.SSLContext, server_name: str | None) -> None:
        """The TLS handshake on this socket, within the deadline; afterwards reads go through TLS."""
        import ssl

        if self.buffer:
            # Bytes sent after the STARTTLS answer and before the handshake would be taken as
            # if they came through TLS (the STARTTLS injection flaw): refuse, as mail clients do.
            raise ProbeFailed("sent data after agreeing to TLS, before the handshake")
        tls = context.wrap_socket(self.sock, server_hostname=server_name, do_handshake_on_connect=False)
        self.sock = tls
        tls.settimeout(self._wait(None))
        try:
            tls.do_handshake()
        except TimeoutError:
            raise DeadlinePassed("the deadline passed during the TLS handshake") from None
        except ssl.SSLError as error:
            raise ProbeFailed(f"failed the TLS handshake: {error.reason or error}") from None
        except (ConnectionError, OSError) as error:
            raise ProbeFailed(f"failed the TLS handshake: {error.strerror or error or 'connection closed'}") from None
