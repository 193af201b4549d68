import NIOCore
import RunnelPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A socket bound (and, for TCP, listening), made by hand rather than by `ServerBootstrap.bind` or
/// `DatagramBootstrap.bind` so that `ListenerSockets` can keep it open across a reload: TCP clients
/// wait in the backlog, UDP datagrams in the receive buffer, while the old pipeline stops.
public enum ListeningSocket {
    public enum Kind: Sendable {
        case stream, datagram
    }

    public static func open(_ address: SocketAddress, backlog: Int32, kind: Kind = .stream) throws -> Int32 {
        func failure(_ call: String) -> ListenerError {
            ListenerError(address: "\(address)", reason: "\(call): \(String(cString: strerror(errno)))")
        }
        #if canImport(Glibc)
            let base = kind == .stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
            let type = base | Int32(SOCK_CLOEXEC.rawValue)
        #else
            let type = kind == .stream ? SOCK_STREAM : SOCK_DGRAM
        #endif
        let descriptor = socket(address.protocol.rawValue, type, 0)
        guard descriptor >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        // For UDP, SO_REUSEADDR would let a second process bind the same port unnoticed.
        if kind == .stream, setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let error = failure("setsockopt(SO_REUSEADDR)")
            close(descriptor)
            throw error
        }
        let bound = address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) }
        guard bound == 0 else {
            let error = failure("bind")
            close(descriptor)
            throw error
        }
        guard kind == .datagram || listen(descriptor, backlog) == 0 else {
            let error = failure("listen")
            close(descriptor)
            throw error
        }
        return descriptor
    }
}
