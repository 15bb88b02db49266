"""getStats(): one RTCStatsReport built from the transports' own counters (webrtc-stats §6).

Ids are stable for the life of the connection: ``transport-0``, ``local-candidate-N``,
``remote-candidate-N``, ``candidate-pair-<local>-<remote>``, ``certificate-<hex>``,
``data-channel-N``.
"""

from __future__ import annotations

import base64
import datetime
from typing import TYPE_CHECKING

from .stats import (
    RTCCertificateStats,
    RTCDataChannelStats,
    RTCIceCandidatePairStats,
    RTCIceCandidateStats,
    RTCPeerConnectionStats,
    RTCStatsReport,
    RTCTransportStats,
)

if TYPE_CHECKING:
    from .connection import TransportStack

TRANSPORT_ID = "transport-0"


def build_report(stack: TransportStack, opened: int, closed: int) -> RTCStatsReport:
    now = datetime.datetime.now(datetime.UTC)
    report = RTCStatsReport()
    report.add(RTCPeerConnectionStats(now, "peer-connection", "peer-connection", opened, closed))
    ice = stack.ice.connection.get_stats()
    local_ids: dict[object, str] = {}
    remote_ids: dict[object, str] = {}
    for prefix, candidates, ids in (
        ("local", ice.local_candidates, local_ids),
        ("remote", ice.remote_candidates, remote_ids),
    ):
        for index, c in enumerate(candidates):
            ident = f"{prefix}-candidate-{index}"
            ids[c] = ident
            report.add(
                RTCIceCandidateStats(
                    now,
                    f"{prefix}-candidate",
                    ident,
                    transportId=TRANSPORT_ID,
                    address=c.address,
                    port=c.port,
                    protocol=c.protocol,
                    candidateType=c.type,
                    priority=c.priority,
                    foundation=c.foundation,
                    relatedAddress=c.related_address,
                    relatedPort=c.related_port,
                    usernameFragment=c.ufrag,
                    tcpType=c.tcptype,
                )
            )
    selected_id = None
    totals = [0, 0, 0, 0]
    for pair in ice.pairs:
        s = pair.stats
        totals[0] += s.packets_sent
        totals[1] += s.packets_received
        totals[2] += s.bytes_sent
        totals[3] += s.bytes_received
        local = local_ids.get(pair.local)
        remote = remote_ids.get(pair.remote)
        if local is None or remote is None:
            continue
        ident = f"candidate-pair-{local}-{remote}"
        if pair.selected:
            selected_id = ident
        report.add(
            RTCIceCandidatePairStats(
                now,
                "candidate-pair",
                ident,
                transportId=TRANSPORT_ID,
                localCandidateId=local,
                remoteCandidateId=remote,
                state=str(pair.state),
                nominated=pair.nominated,
                packetsSent=s.packets_sent,
                packetsReceived=s.packets_received,
                bytesSent=s.bytes_sent,
                bytesReceived=s.bytes_received,
                totalRoundTripTime=s.total_round_trip_time,
                currentRoundTripTime=s.current_round_trip_time,
                requestsSent=s.requests_sent,
                requestsReceived=s.requests_received,
                responsesSent=s.responses_sent,
                responsesReceived=s.responses_received,
                consentRequestsSent=s.consent_requests_sent,
            )
        )
    certificate = stack._certificates[0]
    fp = certificate.getFingerprints()[0]
    local_cert_id = "certificate-" + fp.value.replace(":", "")[:16]
    report.add(
        RTCCertificateStats(
            now,
            "certificate",
            local_cert_id,
            fingerprint=fp.value,
            fingerprintAlgorithm=fp.algorithm,
            base64Certificate=base64.b64encode(certificate.der).decode(),
        )
    )
    dtls = stack.dtls_transport
    remote_cert_id = None
    if dtls is not None:
        remote_der = dtls.getRemoteCertificates()
        if remote_der:
            remote_fp = stack._remote_fingerprints[0] if stack._remote_fingerprints else None
            remote_cert_id = "certificate-remote"
            report.add(
                RTCCertificateStats(
                    now,
                    "certificate",
                    remote_cert_id,
                    fingerprint=remote_fp.value if remote_fp else "",
                    fingerprintAlgorithm=remote_fp.algorithm if remote_fp else "",
                    base64Certificate=base64.b64encode(remote_der[0]).decode(),
                )
            )
    keys = dtls.dtls.srtp_keys if dtls is not None else None
    report.add(
        RTCTransportStats(
            now,
            "transport",
            TRANSPORT_ID,
            packetsSent=totals[0],
            packetsReceived=totals[1],
            bytesSent=totals[2],
            bytesReceived=totals[3],
            iceRole=stack.ice.role,
            iceState=stack.ice.state,
            dtlsState=dtls.state if dtls is not None else "new",
            dtlsRole=dtls.role if dtls is not None and dtls.role != "auto" else "unknown",
            selectedCandidatePairId=selected_id,
            selectedCandidatePairChanges=stack.selected_pair_changes,
            localCertificateId=local_cert_id,
            remoteCertificateId=remote_cert_id,
            iceLocalUsernameFragment=stack.local_credentials[0],
            tlsVersion="FEFD" if dtls is not None and dtls.state == "connected" else None,
            dtlsCipher=dtls.dtls.cipher_suite if dtls is not None else None,
            srtpCipher=keys.profile.name if keys is not None else None,
        )
    )
    sctp = stack.sctp
    if sctp is not None:
        for channel in sctp._all_channels():
            report.add(
                RTCDataChannelStats(
                    now,
                    "data-channel",
                    f"data-channel-{channel._stats_id}",
                    label=channel.label,
                    protocol=channel.protocol,
                    dataChannelIdentifier=channel.id,
                    state=channel.readyState,
                    messagesSent=channel.messages_sent,
                    bytesSent=channel.bytes_sent,
                    messagesReceived=channel.messages_received,
                    bytesReceived=channel.bytes_received,
                )
            )
    return report
