import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an HTTP server could not start, naming the address and what to do.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    enum Code: Sendable, Equatable {
        case addressInUse
        case addressNotAvailable
        case permissionDenied
        case unresolvableHost
        case other(String)
    }

    let code: Code
    /// The address as configured (`bind`, `port`).
    public let host: String
    public let port: Int

    init(_ code: Code, host: String, port: Int) {
        self.code = code
        self.host = host
        self.port = port
    }

    /// True when another socket already listens on the port.
    public var isAddressInUse: Bool { code == .addressInUse }

    /// The failure of `bind(2)` or of resolving the host, classified.
    static func listening(_ error: any Error, host: String, port: Int) -> HTTPServerError {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return HTTPServerError(.addressInUse, host: host, port: port)
            case EADDRNOTAVAIL: return HTTPServerError(.addressNotAvailable, host: host, port: port)
            case EACCES: return HTTPServerError(.permissionDenied, host: host, port: port)
            default: break
            }
        }
        if error is SocketAddressError { return HTTPServerError(.unresolvableHost, host: host, port: port) }
        return HTTPServerError(.other("\(error)"), host: host, port: port)
    }

    public var description: String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch code {
        case .addressInUse:
            return "cannot listen on \(address): the port is already in use by another process; choose another port or stop that process"
        case .addressNotAvailable:
            return "cannot listen on \(address): the address is not one of this host's; check bind"
        case .permissionDenied:
            return "cannot listen on \(address): permission denied (ports below 1024 need privileges); choose a port above 1023"
        case .unresolvableHost:
            return "cannot listen on \(address): '\(host)' is not an address or a name this host resolves; check bind"
        case .other(let reason):
            return "cannot listen on \(address): \(reason)"
        }
    }
}
