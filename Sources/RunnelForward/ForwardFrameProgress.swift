import NIOCore

/// Where a connection's current message started: shared by the two timeout handlers around the
/// frame decoder. Only touched on the channel's event loop.
final class ForwardFrameProgress {
    var started: NIODeadline?
    init() {}
}
