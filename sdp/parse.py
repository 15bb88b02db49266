"""SDP text to :class:`SessionDescription` (RFC 8866 §5, §9).

Strict where a mistake would mislead the layers above (every modelled attribute is checked
against its grammar), lenient where browsers differ harmlessly (LF or CRLF line endings, the
order of session-level lines). Every failure is an :class:`SDPParseError` naming the line.
"""

from __future__ import annotations

import re

from .attributes import AnyAttribute, parse_attribute
from .errors import SDPParseError
from .model import Bandwidth, Connection, MediaDescription, Origin, SessionDescription, Timing

MAX_SDP_SIZE = 256 * 1024
"""Larger input is refused: a browser's offer with dozens of m-lines is a few tens of KiB."""
MAX_LINE_LENGTH = 8192
MAX_MEDIA_SECTIONS = 512

_LINE = re.compile(r"([a-z])=(.*)\Z", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ATTR_NAME = re.compile(r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+\Z")
_SESSION_TYPES = frozenset("vosiuepcbtrzka")
_MEDIA_TYPES = frozenset("icbka")


def _uint(text: str, what: str, maximum: int) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise SDPParseError(f"{what} is not a number: {text!r}")
    value = int(text)
    if value > maximum:
        raise SDPParseError(f"{what} out of range: {value}")
    return value


def _origin(value: str) -> Origin:
    parts = value.split(" ")
    if len(parts) != 6:
        raise SDPParseError("o= needs 6 fields")
    if not parts[1].isdigit() or not parts[1].isascii():
        raise SDPParseError(f"bad session id {parts[1]!r}")
    return Origin(parts[0], parts[1], _uint(parts[2], "session version", 2**64 - 1), *parts[3:])


def _connection(value: str) -> Connection:
    parts = value.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SDPParseError("c= needs 3 fields")
    return Connection(*parts)


def _bandwidth(value: str) -> Bandwidth:
    kind, sep, amount = value.partition(":")
    if not sep or not _ATTR_NAME.match(kind):
        raise SDPParseError("b= needs <type>:<value>")
    return Bandwidth(kind, _uint(amount, "bandwidth", 2**64 - 1))


def _timing(value: str) -> Timing:
    parts = value.split(" ")
    if len(parts) != 2:
        raise SDPParseError("t= needs 2 fields")
    return Timing(_uint(parts[0], "start time", 2**64 - 1), _uint(parts[1], "stop time", 2**64 - 1))


def _media(value: str) -> MediaDescription:
    parts = value.split(" ")
    if len(parts) < 3 or not all(parts[:3]):
        raise SDPParseError("m= needs <media> <port> <proto> [<fmt> ...]")
    kind, port_text, proto, *formats = parts
    if not _ATTR_NAME.match(kind):
        raise SDPParseError(f"bad media type {kind!r}")
    port, sep, count = port_text.partition("/")
    return MediaDescription(
        kind=kind,
        port=_uint(port, "port", 65535),
        port_count=_uint(count, "port count", 65535) if sep else None,
        proto=proto,
        formats=formats,
    )


def _attribute(value: str) -> AnyAttribute:
    name, sep, rest = value.partition(":")
    if not _ATTR_NAME.match(name):
        raise SDPParseError(f"bad attribute name {name!r}")
    return parse_attribute(name, rest if sep else None)


def parse(text: str | bytes) -> SessionDescription:
    """Parse a whole SDP. Raises :class:`SDPParseError` for anything malformed or too large."""
    if len(text) > MAX_SDP_SIZE:
        raise SDPParseError(f"SDP larger than {MAX_SDP_SIZE} bytes")
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SDPParseError(f"SDP is not UTF-8: {exc.reason} at byte {exc.start}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise SDPParseError("empty SDP")

    session = SessionDescription(timings=[])
    media: MediaDescription | None = None
    seen_v = seen_o = seen_s = False
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        try:
            if len(line) > MAX_LINE_LENGTH:
                raise SDPParseError(f"line longer than {MAX_LINE_LENGTH} characters")
            if _CONTROL.search(line):
                raise SDPParseError("control character in line")
            match = _LINE.match(line)
            if match is None:
                raise SDPParseError("not a <type>=<value> line")
            kind, value = match.group(1), match.group(2)
            if number == 1 and kind != "v":
                raise SDPParseError("SDP must start with v=")
            if media is None and kind != "m":
                if kind not in _SESSION_TYPES:
                    raise SDPParseError(f"unknown line type {kind}=")
                if kind == "v":
                    if seen_v:
                        raise SDPParseError("repeated v=")
                    session.version = _uint(value, "version", 0)
                    seen_v = True
                elif kind == "o":
                    if seen_o:
                        raise SDPParseError("repeated o=")
                    session.origin = _origin(value)
                    seen_o = True
                elif kind == "s":
                    if seen_s:
                        raise SDPParseError("repeated s=")
                    session.name = value
                    seen_s = True
                elif kind == "i":
                    session.information = value
                elif kind == "u":
                    session.uri = value
                elif kind == "e":
                    session.emails.append(value)
                elif kind == "p":
                    session.phones.append(value)
                elif kind == "c":
                    if session.connection is not None:
                        raise SDPParseError("repeated session-level c=")
                    session.connection = _connection(value)
                elif kind == "b":
                    session.bandwidths.append(_bandwidth(value))
                elif kind == "t":
                    session.timings.append(_timing(value))
                elif kind == "r":
                    if not session.timings:
                        raise SDPParseError("r= before any t=")
                    last = session.timings[-1]
                    session.timings[-1] = Timing(last.start, last.stop, (*last.repeats, value))
                elif kind == "z":
                    session.zone = value
                elif kind == "k":
                    session.key = value
                else:
                    session.attributes.append(_attribute(value))
            elif kind == "m":
                if len(session.media) >= MAX_MEDIA_SECTIONS:
                    raise SDPParseError(f"more than {MAX_MEDIA_SECTIONS} media sections")
                media = _media(value)
                session.media.append(media)
            else:
                assert media is not None
                if kind not in _MEDIA_TYPES:
                    raise SDPParseError(f"line type {kind}= not allowed in a media section")
                if kind == "i":
                    media.information = value
                elif kind == "c":
                    media.connections.append(_connection(value))
                elif kind == "b":
                    media.bandwidths.append(_bandwidth(value))
                elif kind == "k":
                    media.key = value
                else:
                    media.attributes.append(_attribute(value))
        except SDPParseError as exc:
            raise SDPParseError(exc.reason, line_number=number, line=line) from None
    if not (seen_o and seen_s):
        raise SDPParseError("SDP lacks o= or s=")
    if not session.timings:
        raise SDPParseError("SDP lacks t=")
    return session
