import Foundation
import RunnelCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sends events over Forward connections from one thread each, with blocking sockets: a load
/// generator wants predictable, cheap sending more than it wants an event loop.
struct ForwardLoad {
    var options: LoadgenOptions

    struct Totals: Sendable {
        var sent = 0
        var acknowledged = 0
        var bytes = 0
        var errors: [String] = []
    }

    func run() throws -> (Totals, Double) {
        let totals = Mutex(Totals())
        let ackedLog = try options.ackedLog.map { path -> FileHandle in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw LoadgenError("cannot write \(path)") }
            return handle
        }
        let sentLog = try options.sentLog.map { path -> FileHandle in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw LoadgenError("cannot write \(path)") }
            return handle
        }
        let logLock = Mutex(())
        let perConnection = options.events / options.connections
        let start = Date()
        let done = DispatchGroup()
        for connection in 0..<options.connections {
            let events = perConnection + (connection < options.events % options.connections ? 1 : 0)
            let firstSequence = options.sequenceStart + connection * perConnection + min(connection, options.events % options.connections)
            let options = self.options
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let result = try ForwardLoad.send(
                        options: options, connection: connection, events: events, firstSequence: firstSequence,
                        onSend: { first, count in
                            guard let sentLog else { return }
                            let line = "\(first) \(count) \(Date().timeIntervalSince1970)\n"
                            logLock.withLock { _ in sentLog.write(Data(line.utf8)) }
                        },
                        onAck: { first, last in
                            guard let ackedLog else { return }
                            logLock.withLock { _ in ackedLog.write(Data("\(first) \(last)\n".utf8)) }
                        })
                    totals.withLock {
                        $0.sent += result.sent
                        $0.acknowledged += result.acknowledged
                        $0.bytes += result.bytes
                    }
                } catch {
                    totals.withLock { $0.errors.append("connection \(connection): \(error)") }
                }
            }
        }
        done.wait()
        try ackedLog?.close()
        try sentLog?.close()
        return (totals.withLock { $0 }, Date().timeIntervalSince(start))
    }

    /// One connection's work; returns what it sent and what was acknowledged.
    static func send(
        options: LoadgenOptions, connection: Int, events: Int, firstSequence: Int,
        onSend: (Int, Int) -> Void, onAck: (Int, Int) -> Void
    ) throws -> Totals {
        let socket = try ForwardLoad.connect(host: options.host, port: options.port)
        defer { close(socket) }
        var template = MessageTemplate(
            tag: options.tag, count: min(options.batch, max(events, 1)), recordSize: options.recordSize, ack: options.ack, time: EventTime.now())
        var totals = Totals()
        var outstanding: [(ack: [UInt8], first: Int, last: Int)] = []
        let ratePerConnection = options.rate > 0 ? Double(options.rate) / Double(options.connections) : 0
        let start = Date()
        var message = 0
        var sequence = firstSequence
        var remaining = events
        while remaining > 0 {
            var current = template
            if remaining < template.count {
                current = MessageTemplate(tag: options.tag, count: remaining, recordSize: options.recordSize, ack: options.ack, time: EventTime.now())
                template = current
            }
            current.setSequence(startingAt: sequence)
            let id = current.setChunkID(connection: connection, message: message)
            if ratePerConnection > 0 {
                let due = Double(totals.sent) / ratePerConnection
                let elapsed = Date().timeIntervalSince(start)
                if due > elapsed { usleep(useconds_t((due - elapsed) * 1_000_000)) }
            }
            try writeAll(socket, current.bytes)
            onSend(sequence, current.count)
            totals.sent += current.count
            totals.bytes += current.bytes.count
            if options.ack {
                outstanding.append((MessageTemplate.expectedAck(id), sequence, sequence + current.count - 1))
                while outstanding.count >= options.window {
                    let next = outstanding.removeFirst()
                    try readAck(socket, expected: next.ack)
                    totals.acknowledged += next.last - next.first + 1
                    onAck(next.first, next.last)
                }
            }
            sequence += current.count
            remaining -= current.count
            message += 1
        }
        for next in outstanding {
            try readAck(socket, expected: next.ack)
            totals.acknowledged += next.last - next.first + 1
            onAck(next.first, next.last)
        }
        return totals
    }

    static func connect(host: String, port: Int) throws -> Int32 {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoadgenError("socket() failed: errno \(errno)") }
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw LoadgenError("not an IPv4 address: \(host)") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw LoadgenError("cannot connect to \(host):\(port): errno \(errno)")
        }
        return fd
    }

    static func writeAll(_ socket: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(socket, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw LoadgenError("send failed: errno \(errno) (connection closed by the server?)") }
                offset += written
            }
        }
    }

    static func readAck(_ socket: Int32, expected: [UInt8]) throws {
        var received = [UInt8](repeating: 0, count: expected.count)
        var offset = 0
        while offset < expected.count {
            let count = received.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress! + offset, expected.count - offset, 0) }
            guard count > 0 else { throw LoadgenError("connection closed while waiting for an ack") }
            offset += count
        }
        guard received == expected else { throw LoadgenError("unexpected ack \(received), expected \(expected)") }
    }
}
