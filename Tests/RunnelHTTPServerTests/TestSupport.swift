import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycleTestKit
import Testing

@testable import RunnelHTTPServer

/// Runs an HTTPServer on 127.0.0.1, port 0, hands `body` its port and the shutdown trigger,
/// then shuts it down gracefully (if `body` did not) and checks that `run()` returned.
func withHTTPServer(
    _ router: HTTPRouter,
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    _ body: @Sendable (Int, GracefulShutdownTestTrigger) async throws -> Void
) async throws {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    var logger = Logger(label: "http-test")
    logger.logLevel = .critical
    let server = HTTPServer(configuration: configuration, router: router, logger: logger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run(onBound: { address in continuation.yield(address.port ?? 0) })
                continuation.finish()
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(port, trigger)
            } catch {
                trigger.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            trigger.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

/// A response as read off the wire.
struct WireResponse {
    var version: String
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A plain TCP client that writes raw bytes and reads HTTP/1.1 responses, so tests control
/// exactly what is sent (keep-alive, HTTP/1.0, pipelining, malformed requests).
struct WireClient {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var buffer: [UInt8] = []
    var closed = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to 127.0.0.1:`port` and runs `body` with the connection, closing it after.
    static func connect<R: Sendable>(port: Int, _ body: (inout WireClient) async throws -> R) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var client = WireClient(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&client)
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads more bytes; false once the server has closed the connection.
    mutating func fill() async throws -> Bool {
        guard !closed, let chunk = try await inbound.next() else {
            closed = true
            return false
        }
        buffer += chunk.readableBytesView
        return true
    }

    /// Reads one response (an informational one such as 100 Continue too).
    mutating func readResponse() async throws -> WireResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if buffer.count >= 4, let at = (0...(buffer.count - 4)).first(where: { buffer[$0..<($0 + 4)].elementsEqual(separator) }) {
                end = at
                break
            }
            guard try await fill() else { throw Failure(description: "closed before a response head: \(String(decoding: buffer, as: UTF8.self))") }
        }
        let headText = String(decoding: buffer[..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line: \(headText)") }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = WireResponse(version: String(statusLine[0]), status: status, headers: headers, body: "")
        guard status >= 200 else { return response }
        let length = Int(response.header("Content-Length") ?? "0") ?? 0
        while buffer.count < length {
            guard try await fill() else { throw Failure(description: "closed inside a body") }
        }
        response.body = String(decoding: buffer[..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return response
    }

    /// Waits until the server closes the connection; false if it sends bytes instead.
    mutating func waitForClose() async throws -> Bool {
        while try await fill() {
            if !buffer.isEmpty { return false }
        }
        return true
    }
}
