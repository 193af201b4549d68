import NIOCore

/// Answers out_forward's UDP heartbeat (`heartbeat_type udp`): any datagram on the Forward port
/// is answered with a single zero byte to its sender, as Fluentd in_forward does.
final class ForwardHeartbeatHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let reply = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: [0]))
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram that could not be answered (the sender went away) is not worth closing for.
    }
}
