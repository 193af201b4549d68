import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reverse DNS for `source_hostname_key` with `resolve_hostname`: runs on NIO's thread pool,
/// once per connection (per datagram for UDP inputs), and falls back to the address.
public enum HostnameResolver {
    public static func resolve(_ address: SocketAddress?) async -> String {
        guard let address, let ip = address.ipAddress else { return address?.description ?? "unknown" }
        let name = try? await NIOThreadPool.singleton.runIfActive { () -> String? in
            address.withSockAddr { pointer, length -> String? in
                var host = [CChar](repeating: 0, count: 1025)
                let result = getnameinfo(pointer, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                guard result == 0 else { return nil }
                return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return (name ?? nil) ?? ip
    }
}
