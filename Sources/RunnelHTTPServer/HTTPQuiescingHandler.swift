import NIOCore
import NIOHTTP1

/// Turns the first of graceful shutdown or the idle timeout into one `ChannelShouldQuiesceEvent`
/// for NIO's `HTTPServerPipelineHandler`, which then closes an idle connection at once and a
/// busy one after its response (with `Connection: close`). That handler accepts the event once
/// per connection, so later ones are dropped here.
final class HTTPQuiescingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var quiesced = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            quiesce(context)
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            quiesce(context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func quiesce(_ context: ChannelHandlerContext) {
        guard !quiesced else { return }
        quiesced = true
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
