import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP port on 127.0.0.1 that was free a moment ago, for a child process that must be told its
/// port before it starts (servers in this process bind port 0 and read the port back instead).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket(): errno \(errno)") }
    defer { close(fd) }
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind(127.0.0.1:0): errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// True once something accepts connections on 127.0.0.1:`port`, false after `seconds`.
public func waitForPort(_ port: Int, seconds: Double = 60) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected =
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        close(fd)
        if connected { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}

/// A blocking TCP socket connected to 127.0.0.1:`port` (a UDP one aimed there with `datagram`),
/// or nil when the connection is refused; the caller closes it.
public func connectLoopback(port: Int, datagram: Bool = false) -> Int32? {
    let fd = socket(AF_INET, Int32((datagram ? SOCK_DGRAM : SOCK_STREAM).rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = loopback(port: port)
    let connected =
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    if connected { return fd }
    close(fd)
    return nil
}

/// True when the peer closes (or resets) connected socket `fd` within `seconds`, skipping
/// anything it sends first; false when it is still open then.
public func peerCloses(_ fd: Int32, within seconds: Int) -> Bool {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var scratch = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &scratch, scratch.count, 0)
        if count > 0 { continue }
        if count == 0 { return true }
        if errno == EINTR { continue }
        return errno != EAGAIN && errno != EWOULDBLOCK
    }
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}

/// Runs `body` on a thread of its own and returns what it returns: for blocking calls (sockets,
/// child processes) that must not hold one of the few threads async code shares, among them the
/// server under test's.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
