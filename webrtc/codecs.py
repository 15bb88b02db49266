"""The codecs and header extensions we offer, and their negotiation (JSEP §5.3.1, §5.2.2).

Negotiation is by intersection: an answer takes the offerer's payload types, in the offerer's
order, for the codecs both sides support; RTX survives only for a primary codec that survived.
"""

from __future__ import annotations

from .rtp_parameters import (
    RTCRtcpFeedback,
    RTCRtpCapabilities,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionCapability,
    RTCRtpHeaderExtensionParameters,
)

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

_VIDEO_FEEDBACK = (
    RTCRtcpFeedback("nack"),
    RTCRtcpFeedback("nack", "pli"),
    RTCRtcpFeedback("ccm", "fir"),
    RTCRtcpFeedback("goog-remb"),
)


def _codec(
    mime: str,
    rate: int,
    pt: int,
    *,
    channels: int | None = None,
    params: dict[str, int | str | None] | None = None,
    feedback: tuple[RTCRtcpFeedback, ...] = (),
) -> RTCRtpCodecParameters:
    return RTCRtpCodecParameters(
        mimeType=mime,
        clockRate=rate,
        channels=channels,
        payloadType=pt,
        rtcpFeedback=[RTCRtcpFeedback(f.type, f.parameter) for f in feedback],
        parameters=dict(params or {}),
    )


def default_codecs(kind: str) -> list[RTCRtpCodecParameters]:
    """Our offer's codecs for ``kind``, with the payload types Chrome uses for them."""
    if kind == "audio":
        return [
            _codec(
                "audio/opus", 48000, 111, channels=2, params={"minptime": 10, "useinbandfec": 1}
            ),
            _codec("audio/PCMU", 8000, 0),
            _codec("audio/PCMA", 8000, 8),
        ]
    if kind == "video":
        h264: dict[str, int | str | None] = {
            "level-asymmetry-allowed": 1,
            "packetization-mode": 1,
            "profile-level-id": "42e01f",
        }
        return [
            _codec("video/VP8", 90000, 96, feedback=_VIDEO_FEEDBACK),
            _codec("video/rtx", 90000, 97, params={"apt": 96}),
            _codec("video/H264", 90000, 102, params=h264, feedback=_VIDEO_FEEDBACK),
            _codec("video/rtx", 90000, 103, params={"apt": 102}),
        ]
    return []


def default_header_extensions(kind: str) -> list[RTCRtpHeaderExtensionParameters]:
    if kind == "audio":
        return [RTCRtpHeaderExtensionParameters(4, MID_URI)]
    if kind == "video":
        return [
            RTCRtpHeaderExtensionParameters(4, MID_URI),
            RTCRtpHeaderExtensionParameters(10, RID_URI),
            RTCRtpHeaderExtensionParameters(11, REPAIRED_RID_URI),
        ]
    return []


def capabilities(kind: str) -> RTCRtpCapabilities:
    """``RTCRtpSender.getCapabilities(kind)``: each codec once, without payload types."""
    codecs = []
    seen: set[tuple[str, int, int | None]] = set()
    for c in default_codecs(kind):
        key = (c.mimeType.lower(), c.clockRate, c.channels)
        if key in seen:
            continue
        seen.add(key)
        params = {} if c.name.lower() == "rtx" else dict(c.parameters)
        codecs.append(RTCRtpCodecCapability(c.mimeType, c.clockRate, c.channels, params))
    extensions = [RTCRtpHeaderExtensionCapability(e.uri) for e in default_header_extensions(kind)]
    return RTCRtpCapabilities(codecs=codecs, headerExtensions=extensions)


def _same_codec(a: RTCRtpCodecParameters, b: RTCRtpCodecParameters) -> bool:
    if a.mimeType.lower() != b.mimeType.lower() or a.clockRate != b.clockRate:
        return False
    if a.mimeType.lower().startswith("audio/") and (a.channels or 1) != (b.channels or 1):
        return False
    if a.name.lower() == "h264":
        # RFC 6184 §8.2.2: packetization-mode must match; the profile (first byte of
        # profile-level-id, and the constraint flags) must match, the level may differ.
        if str(a.parameters.get("packetization-mode", 0)) != str(
            b.parameters.get("packetization-mode", 0)
        ):
            return False
        pa = str(a.parameters.get("profile-level-id", "42001f")).lower()
        pb = str(b.parameters.get("profile-level-id", "42001f")).lower()
        if pa[:4] != pb[:4]:
            return False
    return True


def intersect_codecs(
    local: list[RTCRtpCodecParameters], remote: list[RTCRtpCodecParameters]
) -> list[RTCRtpCodecParameters]:
    """The remote's codecs (its payload types and order) that ``local`` also supports.

    Feedback is the intersection of both sides'. RTX is kept when its ``apt`` names a kept codec.
    """
    kept: list[RTCRtpCodecParameters] = []
    kept_pts: set[int] = set()
    for theirs in remote:
        if theirs.name.lower() == "rtx":
            continue
        for ours in local:
            if ours.name.lower() != "rtx" and _same_codec(ours, theirs):
                ours_fb = {(f.type, f.parameter) for f in ours.rtcpFeedback}
                feedback = [f for f in theirs.rtcpFeedback if (f.type, f.parameter) in ours_fb]
                kept.append(
                    RTCRtpCodecParameters(
                        mimeType=theirs.mimeType,
                        clockRate=theirs.clockRate,
                        channels=theirs.channels,
                        payloadType=theirs.payloadType,
                        rtcpFeedback=feedback,
                        parameters=dict(theirs.parameters),
                    )
                )
                if theirs.payloadType is not None:
                    kept_pts.add(theirs.payloadType)
                break
    local_has_rtx = any(c.name.lower() == "rtx" for c in local)
    result: list[RTCRtpCodecParameters] = []
    for codec in kept:
        result.append(codec)
        if not local_has_rtx:
            continue
        for theirs in remote:
            if theirs.name.lower() == "rtx" and _apt(theirs) == codec.payloadType:
                result.append(
                    RTCRtpCodecParameters(
                        mimeType=theirs.mimeType,
                        clockRate=theirs.clockRate,
                        payloadType=theirs.payloadType,
                        parameters=dict(theirs.parameters),
                    )
                )
                break
    return result


def _apt(codec: RTCRtpCodecParameters) -> int | None:
    value = codec.parameters.get("apt")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def intersect_header_extensions(
    local: list[RTCRtpHeaderExtensionParameters], remote: list[RTCRtpHeaderExtensionParameters]
) -> list[RTCRtpHeaderExtensionParameters]:
    """The remote's extensions (its ids) whose URI we support."""
    ours = {e.uri for e in local}
    return [RTCRtpHeaderExtensionParameters(e.id, e.uri) for e in remote if e.uri in ours]
