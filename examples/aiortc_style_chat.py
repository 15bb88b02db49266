"""Two peers in one program, written the way aiortc's documentation teaches, importing only
from ``webrtc``: an aiortc application ports by changing its imports.

    python examples/aiortc_style_chat.py

It uses the default settings, so it gathers every interface address: run it where those
addresses are yours to use (the test runs it inside a network namespace of its own).
"""

import asyncio

from webrtc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription


async def main() -> None:
    pc1 = RTCPeerConnection()
    pc2 = RTCPeerConnection()
    done = asyncio.Event()
    replies = []

    channel = pc1.createDataChannel("chat")

    @channel.on("open")
    def on_open() -> None:
        channel.send("ping 1")

    @channel.on("message")
    def on_message(message: str) -> None:
        replies.append(message)
        print("pc1 received", message)
        if len(replies) < 3:
            channel.send(f"ping {len(replies) + 1}")
        else:
            done.set()

    @pc2.on("datachannel")
    def on_datachannel(remote_channel: RTCDataChannel) -> None:
        @remote_channel.on("message")
        def on_message(message: str) -> None:
            remote_channel.send(message.replace("ping", "pong"))

    @pc1.on("connectionstatechange")
    async def on_connectionstatechange() -> None:
        print("pc1 connection state is", pc1.connectionState)

    # offer / answer, the non-trickle way aiortc's examples do it
    await pc1.setLocalDescription(await pc1.createOffer())
    offer = pc1.localDescription
    assert offer is not None
    await pc2.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type=offer.type))
    await pc2.setLocalDescription(await pc2.createAnswer())
    answer = pc2.localDescription
    assert answer is not None
    await pc1.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))

    await asyncio.wait_for(done.wait(), 30)
    print("replies:", replies)
    await pc1.close()
    await pc2.close()


if __name__ == "__main__":
    asyncio.run(main())
