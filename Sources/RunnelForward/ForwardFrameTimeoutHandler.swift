import NIOCore

/// Before the decoder: notes when bytes of a new message begin to arrive, and closes the
/// connection when a message takes longer than `frame_timeout` to complete (a client that sends
/// one byte a minute). Time spent waiting for the buffer (back-pressure) does not count.
final class ForwardFrameTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let progress: ForwardFrameProgress
    private let gate: ForwardConnectionGate
    private var check: RepeatedTask?

    init(timeout: TimeAmount, progress: ForwardFrameProgress, gate: ForwardConnectionGate) {
        self.timeout = timeout
        self.progress = progress
        self.gate = gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard timeout > .zero else { return }
        let interval: TimeAmount = max(TimeAmount.milliseconds(100), min(TimeAmount.seconds(1), TimeAmount.nanoseconds(timeout.nanoseconds / 4)))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.checkTimeout(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if progress.started == nil { progress.started = context.eventLoop.now }
        context.fireChannelRead(data)
    }

    private func checkTimeout(context: ChannelHandlerContext) {
        guard let started = progress.started else { return }
        let now = context.eventLoop.now
        if gate.isBusy {
            progress.started = now
            return
        }
        guard now - started > timeout else { return }
        check?.cancel()
        check = nil
        context.fireErrorCaught(ForwardError(.frameTimeout(seconds: Double(timeout.nanoseconds) / 1e9)))
        context.close(promise: nil)
    }
}
