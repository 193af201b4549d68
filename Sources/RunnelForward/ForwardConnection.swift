import NIOCore

/// One accepted connection, as handed from the channel initializer to the serving task.
struct ForwardConnection: Sendable {
    var channel: NIOAsyncChannel<ForwardFrame, ByteBuffer>
    var gate: ForwardConnectionGate
}
