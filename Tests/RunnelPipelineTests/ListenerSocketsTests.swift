import Glibc
import RunnelPipeline
import Testing

/// The sockets kept across reloads, with real listening sockets on 127.0.0.1.
@Suite struct ListenerSocketsTests {
    /// A TCP socket listening on 127.0.0.1 at an ephemeral port; returns it and the port.
    static func openListener() throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw ListenerError(address: "127.0.0.1:0", reason: "bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    static func connects(to port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    @Test func aSocketReservedByTheNextPipelineOutlivesTheInputThatOpenedIt() throws {
        let sockets = ListenerSockets()
        var port: UInt16 = 0
        let old = sockets.reserve("tcp test")
        let first = try old.socket(backlog: 16) {
            let opened = try Self.openListener()
            port = opened.port
            return opened.descriptor
        }
        close(first)  // the old input's event loop closes its copy

        let next = sockets.reserve("tcp test")  // the reload built the next pipeline
        old.release()  // the old input stopped
        #expect(sockets.isOpen("tcp test"))
        #expect(Self.connects(to: port), "clients wait in the kept socket's backlog")

        var opened = false
        let second = try next.socket(backlog: 16) {
            opened = true
            return try Self.openListener().descriptor
        }
        #expect(!opened, "the kept socket is reused, not a new one opened")
        close(second)
        next.release()
        #expect(!sockets.isOpen("tcp test"))
        #expect(!Self.connects(to: port), "closed once no pipeline reserves it")
    }

    @Test func twoInputsOfOneConfigurationCannotShareAnAddress() throws {
        let sockets = ListenerSockets()
        let one = sockets.reserve("tcp twice")
        let two = sockets.reserve("tcp twice")
        let descriptor = try one.socket(backlog: 16) { try Self.openListener().descriptor }
        defer { close(descriptor) }
        #expect(throws: ListenerError.self) { _ = try two.socket(backlog: 16) { try Self.openListener().descriptor } }
        one.release()
        two.release()
        #expect(!sockets.isOpen("tcp twice"))
    }

    @Test func aDiscardedInputReleasesItsReservation() throws {
        let sockets = ListenerSockets()
        let kept = sockets.reserve("tcp discarded")
        let descriptor = try kept.socket(backlog: 16) { try Self.openListener().descriptor }
        close(descriptor)
        do {
            // A pipeline built for a reload that then failed: its input is dropped without running.
            _ = sockets.reserve("tcp discarded")
        }
        kept.release()
        #expect(!sockets.isOpen("tcp discarded"))
    }
}
