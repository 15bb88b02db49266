""":class:`SessionDescription` to SDP text, lines in RFC 8866 §5 order, CRLF endings."""

from __future__ import annotations

from .attributes import AnyAttribute, attribute_name, attribute_value
from .model import Bandwidth, Connection, MediaDescription, SessionDescription


def _attribute(attr: AnyAttribute) -> str:
    value = attribute_value(attr)
    name = attribute_name(attr)
    return f"a={name}" if value is None else f"a={name}:{value}"


def _connection(c: Connection) -> str:
    return f"c={c.nettype} {c.addrtype} {c.address}"


def _bandwidth(b: Bandwidth) -> str:
    return f"b={b.type}:{b.value}"


def _media(m: MediaDescription, out: list[str]) -> None:
    port = str(m.port) if m.port_count is None else f"{m.port}/{m.port_count}"
    out.append(" ".join((f"m={m.kind}", port, m.proto, *m.formats)))
    if m.information is not None:
        out.append(f"i={m.information}")
    out.extend(_connection(c) for c in m.connections)
    out.extend(_bandwidth(b) for b in m.bandwidths)
    if m.key is not None:
        out.append(f"k={m.key}")
    out.extend(_attribute(a) for a in m.attributes)


def write(session: SessionDescription) -> str:
    """The SDP text of ``session``, ending with CRLF."""
    o = session.origin
    out = [
        f"v={session.version}",
        f"o={o.username} {o.session_id} {o.session_version} {o.nettype} {o.addrtype} {o.address}",
        f"s={session.name}",
    ]
    if session.information is not None:
        out.append(f"i={session.information}")
    if session.uri is not None:
        out.append(f"u={session.uri}")
    out.extend(f"e={e}" for e in session.emails)
    out.extend(f"p={p}" for p in session.phones)
    if session.connection is not None:
        out.append(_connection(session.connection))
    out.extend(_bandwidth(b) for b in session.bandwidths)
    for t in session.timings:
        out.append(f"t={t.start} {t.stop}")
        out.extend(f"r={r}" for r in t.repeats)
    if session.zone is not None:
        out.append(f"z={session.zone}")
    if session.key is not None:
        out.append(f"k={session.key}")
    out.extend(_attribute(a) for a in session.attributes)
    for media in session.media:
        _media(media, out)
    return "\r\n".join(out) + "\r\n"
