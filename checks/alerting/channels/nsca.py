"""NSCA channel: every run as a passive check result sent to a Nagios server's nsca daemon (protocol v3)."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from cronchecks.alerting.channels.base import RUN, Channel, DeliveryError
from cronchecks.core.errors import UsageError

DEFAULT_PORT = 5667
PASSWORD_VARIABLE, PASSWORD_FILE_VARIABLE = "CRONCHECKS_NSCA_PASSWORD", "CRONCHECKS_NSCA_PASSWORD_FILE"
# The methods that need no mcrypt: nsca's decryption_method 0 and 1.
ENCRYPTIONS = {"none": 0, "xor": 1}
IV_SIZE = 128
INIT_PACKET_SIZE = IV_SIZE + 4  # the server's IV, then its timestamp
PACKET_VERSION = 3
HOST_SIZE, SERVICE_SIZE = 64, 128
# nsca since 2.9 (Debian's is 2.10) takes 4096 bytes of output; older ones 512. nsca tells the
# two apart by the packet's length, so a large packet is always what we send.
OUTPUT_SIZE = 4096
OLD_OUTPUT_SIZE = 512
# nsca writes each result to Nagios' FIFO through a 4 KB stdio buffer: a longer line goes out
# in pieces that another writer's can split, so the line it makes stays within this.
NAGIOS_LINE = 4096
MAX_PASSWORD = 512  # nsca reads at most this much of its password= line
# After the first packet of a channel, how long we listen for nsca hanging up: it closes the
# connection at once when it drops a packet (wrong password or method: the CRC or version
# fails), and keeps it open for more otherwise. It never answers in words. The wait is a few
# times the greeting's round trip (a millisecond on a LAN), within these bounds.
REFUSAL_WAIT_MIN, REFUSAL_WAIT_MAX = 0.05, 0.5


def packet_layout(output_size: int = OUTPUT_SIZE) -> struct.Struct:
    """The C struct nsca reads, in network order with its padding:

    int16 version, (2 pad), uint32 crc32, uint32 timestamp, int16 return code, char host[64],
    char service[128], char output[output_size], (2 pad): 720 bytes for 512, 4304 for 4096.
    """
    return struct.Struct(f">h2xIIh{HOST_SIZE}s{SERVICE_SIZE}s{output_size}s2x")


def data_packet(host: str, service: str, code: int, output: str, timestamp: int,
                output_size: int = OUTPUT_SIZE) -> bytes:
    """The clear data packet: fields NUL-terminated within their sizes, CRC32 over the packet with its CRC zero."""
    import zlib

    layout = packet_layout(output_size)
    fields = (_field(host, HOST_SIZE), _field(service, SERVICE_SIZE), _field(output, output_size))
    blank = layout.pack(PACKET_VERSION, 0, timestamp & 0xFFFFFFFF, code, *fields)
    return layout.pack(PACKET_VERSION, zlib.crc32(blank), timestamp & 0xFFFFFFFF, code, *fields)


def _field(text: str, size: int) -> bytes:
    data = text.encode("utf-8", "replace")[:size - 1]  # room for the NUL nsca relies on
    return data.decode("utf-8", "ignore").encode("utf-8")


def xor_encrypt(packet: bytes, iv: bytes, password: bytes) -> bytes:
    """nsca's method 1: each byte XORed with the IV's byte, then the password's, both repeating."""
    count = len(packet)
    iv_stream = (iv * (count // len(iv) + 1))[:count]
    out = bytes(a ^ b for a, b in zip(packet, iv_stream, strict=True))
    if password:
        key_stream = (password * (count // len(password) + 1))[:count]
        out = bytes(a ^ b for a, b in zip(out, key_stream, strict=True))
    return out


def parse_address(address: str) -> tuple[str, int]:
    """`HOST:PORT`, `HOST` (port 5667) or `[IPv6]:PORT`."""
    from cronchecks.support.addresses import parse_host_port

    try:
        return parse_host_port(address, default_port=DEFAULT_PORT)
    except ValueError as error:
        raise UsageError(f"invalid --nsca {address!r}: {error} (HOST:PORT expected, e.g. nagios.example.com:5667)"
                         ) from None


def nsca_password(env: Mapping[str, str]) -> str | None:
    """The password from CRONCHECKS_NSCA_PASSWORD or the file CRONCHECKS_NSCA_PASSWORD_FILE names; never argv."""
    from cronchecks.support.secrets import read_secret

    password = read_secret(direct=None, env_name=PASSWORD_VARIABLE if PASSWORD_VARIABLE in env else None,
                           file_path=env.get(PASSWORD_FILE_VARIABLE) or None, env=env, what="the NSCA password")
    if password is not None and len(password.encode()) > MAX_PASSWORD:
        raise UsageError(f"the NSCA password is over {MAX_PASSWORD} bytes: nsca reads no more of it")
    return password or None


class NscaChannel(Channel):
    """A Nagios server's nsca daemon at HOST:PORT: every run of a check is its service's passive result."""

    kind = "nsca"
    events = frozenset({RUN})
    wants_plugin_output = True  # the run record carries the check's own text (recorder.record_result)

    def __init__(self, host: str, port: int, encryption: str, password: str | None) -> None:
        self.host, self.port = host, port
        self.encryption = encryption
        self.password = (password or "").encode()
        shown_host = f"[{host}]" if ":" in host else host
        # The password is part of the identity (hashed only): another password is another channel.
        super().__init__(f"{shown_host}:{port}\0{encryption}\0{password or ''}", f"nsca {shown_host}:{port}")
        self.accepted_once = False

    @classmethod
    def from_options(cls, address: str, encryption: str | None, env: Mapping[str, str]) -> NscaChannel:
        host, port = parse_address(address)
        password = nsca_password(env)
        method = (encryption or ("xor" if password else "none")).strip().lower()
        if method not in ENCRYPTIONS:
            raise UsageError(f"invalid --nsca-encryption {encryption!r} (none or xor; nsca's other methods need "
                             "mcrypt, which cronchecks does not use)")
        if method == "none" and password:
            raise UsageError("--nsca-encryption none sends no password: unset CRONCHECKS_NSCA_PASSWORD"
                             "(_FILE) or use xor")
        return cls(host, port, method, password)

    def send(self, event: dict[str, Any], timeout: float) -> None:
        import socket
        import time

        from cronchecks.alerting.channels.passive import fit_passive_text, run_event_parts

        host, service = str(event.get("host") or ""), str(event.get("check") or "")
        for what, value, size in (("host name", host, HOST_SIZE), ("service name", service, SERVICE_SIZE)):
            if not value or len(value.encode()) >= size:
                raise DeliveryError(f"{self.shown}: the {what} {value[:40]!r} does not fit nsca's {size - 1} bytes",
                                    retryable=False)
        code = event.get("code")
        if code not in (0, 1, 2, 3):
            code = 3
        first, long_output, perf = run_event_parts(event)
        # nsca escapes line breaks and backslashes into Nagios' command file: the line it
        # writes there must fit NAGIOS_LINE, as well as the packet's own field.
        line_head = f"[{2**31}] PROCESS_SERVICE_CHECK_RESULT;{host};{service};{code};"
        limit = min(OUTPUT_SIZE - 1, NAGIOS_LINE - len(line_head.encode()) - 1)
        output = fit_passive_text(first, long_output, perf, limit, escaped=True)
        started = time.monotonic()
        deadline = started + max(timeout, 0.1)
        try:
            with socket.create_connection((self.host, self.port), timeout=max(timeout, 0.1)) as sock:
                init = _receive(sock, INIT_PACKET_SIZE, deadline)
                greeting = time.monotonic() - started
                if len(init) < INIT_PACKET_SIZE:
                    raise DeliveryError(f"{self.shown}: the server closed the connection before its "
                                        "greeting (is it nsca?)", retryable=True)
                iv, timestamp = init[:IV_SIZE], struct.unpack(">I", init[IV_SIZE:])[0]
                packet = data_packet(host, service, int(code), output, timestamp)
                if self.encryption == "xor":
                    packet = xor_encrypt(packet, iv, self.password)
                sock.settimeout(max(deadline - time.monotonic(), 0.05))
                sock.sendall(packet)
                if not self.accepted_once:
                    self._listen_for_refusal(sock, deadline, greeting)
                    self.accepted_once = True
        except DeliveryError:
            raise
        except OSError as error:
            reason = "cannot resolve the host" if isinstance(error, socket.gaierror) else \
                ("timed out" if isinstance(error, TimeoutError) else (error.strerror or type(error).__name__))
            raise DeliveryError(f"{self.shown}: {reason}", retryable=True) from None

    def _listen_for_refusal(self, sock, deadline: float, greeting: float) -> None:
        import time

        wait = min(max(4 * greeting, REFUSAL_WAIT_MIN), REFUSAL_WAIT_MAX, max(deadline - time.monotonic(), 0.05))
        sock.settimeout(wait)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            return  # still open: nsca took the packet and waits for the next
        except ConnectionResetError:
            closed = True
        if closed:
            raise DeliveryError(f"{self.shown}: refused: the password or --nsca-encryption ({self.encryption}) "
                                "does not match nsca's (it hung up without taking the result; its syslog "
                                "says why)", retryable=False)


def _receive(sock, size: int, deadline: float) -> bytes:
    import time

    data = b""
    while len(data) < size:
        sock.settimeout(max(deadline - time.monotonic(), 0.05))
        piece = sock.recv(size - len(data))
        if not piece:
            break
        data += piece
    return data
