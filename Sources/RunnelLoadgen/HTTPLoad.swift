import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP load: JSON arrays of `batch` records POSTed to `/TAG` over keep-alive connections, one
/// request in flight per connection (what in_http clients do), each answered before the next.
/// Records are the Forward load's (`seq` of 12 digits first), as JSON. A 503 is sent again
/// after 100 ms; any other non-2xx answer is an error.
struct HTTPLoad: Sendable {
    let options: LoadgenOptions

    struct Totals: Sendable {
        var sent = 0
        var requests = 0
        var retried = 0
        var bytes = 0
        var errors: [String] = []
    }

    func run() throws -> (Totals, Double) {
        let perConnection = (0..<options.connections).map { index in
            options.events / options.connections + (index < options.events % options.connections ? 1 : 0)
        }
        var starts: [Int] = []
        var next = options.sequenceStart
        for count in perConnection {
            starts.append(next)
            next += count
        }
        let firsts = starts
        let totals = Mutex(Totals())
        let started = Date()
        let group = DispatchGroup()
        for index in 0..<options.connections {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let outcome = Result { try self.connection(first: firsts[index], count: perConnection[index]) }
                totals.withLock { totals in
                    switch outcome {
                    case .success(let part):
                        totals.sent += part.sent
                        totals.requests += part.requests
                        totals.retried += part.retried
                        totals.bytes += part.bytes
                    case .failure(let error):
                        totals.errors.append("connection \(index): \(error)")
                    }
                }
            }
            thread.start()
        }
        group.wait()
        return (totals.withLock { $0 }, Date().timeIntervalSince(started))
    }

    /// One connection's share: `count` records from sequence number `first`.
    func connection(first: Int, count: Int) throws -> Totals {
        var totals = Totals()
        let socket = try Self.connect(host: options.host, port: options.port)
        defer { close(socket) }
        let padding = String(repeating: "x", count: max(8, options.recordSize - 70))
        var sequence = first
        var reader = ResponseReader(socket: socket)
        let pacing = options.rate > 0 ? Double(options.batch) / (Double(options.rate) / Double(options.connections)) : 0
        var due = Date()
        while totals.sent < count {
            let size = min(options.batch, count - totals.sent)
            var body = "["
            for offset in 0..<size {
                if offset > 0 { body += "," }
                let digits = String(sequence + offset)
                let seq = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
                body += #"{"seq":"\#(seq)","level":"info","service":"loadgen","message":"\#(padding)"}"#
            }
            body += "]"
            let request = Array(
                ("POST /\(options.tag) HTTP/1.1\r\nHost: \(options.host)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
            while true {
                try Self.send(socket, request)
                let status = try reader.readResponse()
                totals.requests += 1
                if (200..<300).contains(status) { break }
                guard status == 503 else { throw LoadgenError("answered \(status)") }
                totals.retried += 1
                usleep(100_000)
            }
            totals.sent += size
            totals.bytes += request.count
            sequence += size
            if pacing > 0 {
                due = due.addingTimeInterval(pacing)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
        }
        return totals
    }

    static func connect(host: String, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoadgenError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw LoadgenError("connect \(host):\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw LoadgenError("send: errno \(errno)")
            }
            offset += sent
        }
    }

    /// Reads HTTP/1.1 responses (status line, headers, a Content-Length body) off a socket.
    struct ResponseReader {
        let socket: Int32
        var buffer: [UInt8] = []

        mutating func fill() throws {
            var chunk = [UInt8](repeating: 0, count: 16384)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { return }
            guard count > 0 else { throw LoadgenError("the server closed the connection") }
            buffer.append(contentsOf: chunk[0..<count])
        }

        /// The status of the next response, its body skipped.
        mutating func readResponse() throws -> Int {
            let end: Int
            while true {
                if let found = Self.headEnd(buffer) {
                    end = found
                    break
                }
                try fill()
            }
            let head = String(decoding: buffer[0..<end], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."), let status = Int(statusLine.split(separator: " ")[1]) else {
                throw LoadgenError("not an HTTP response: \(head.prefix(80))")
            }
            var length = 0
            for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let total = end + 4 + length
            while buffer.count < total { try fill() }
            buffer.removeFirst(total)
            return status
        }

        static func headEnd(_ bytes: [UInt8]) -> Int? {
            guard bytes.count >= 4 else { return nil }
            for i in 0...(bytes.count - 4) where bytes[i] == 0x0d && bytes[i + 1] == 0x0a && bytes[i + 2] == 0x0d && bytes[i + 3] == 0x0a {
                return i
            }
            return nil
        }
    }
}
