import NIOCore

/// After the decoder: a complete message arrived, so no message is in progress any more.
final class ForwardFrameCompletionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ForwardFrame
    typealias InboundOut = ForwardFrame

    private let progress: ForwardFrameProgress

    init(progress: ForwardFrameProgress) { self.progress = progress }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        progress.started = nil
        context.fireChannelRead(data)
    }
}
