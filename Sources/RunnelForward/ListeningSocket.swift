import NIOCore
import RunnelPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP socket bound and listening, made by hand (rather than by `ServerBootstrap.bind`) so that
/// `ListenerSockets` can keep it open across a reload (in_forward, and RunnelSyslog's TCP inputs).
public enum ListeningSocket {
    public static func open(_ address: SocketAddress, backlog: Int32) throws -> Int32 {
        func failure(_ call: String) -> ListenerError {
            ListenerError(address: "\(address)", reason: "\(call): \(String(cString: strerror(errno)))")
        }
        #if canImport(Glibc)
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
            let type = SOCK_STREAM
        #endif
        let descriptor = socket(address.protocol.rawValue, type, 0)
        guard descriptor >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        if setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
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
        guard listen(descriptor, backlog) == 0 else {
            let error = failure("listen")
            close(descriptor)
            throw error
        }
        return descriptor
    }
}
