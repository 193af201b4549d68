import Foundation
import NIOCore
import NIOHTTP1
import ServiceLifecycleTestKit
import Synchronization
import RunnelTestSupport
import Testing

@testable import RunnelHTTPServer

/// The shared HTTP server on real sockets (127.0.0.1, a port the system chooses), spoken to with
/// raw bytes so each test controls exactly what goes on the wire. A connection the server fails
/// to close would hang its test: the time limit turns that into a failure.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerTests {
    static func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/hello") { request in
            .text("hello \(request.query ?? "-")\n")
        }
        router.post("/echo") { request in
            var response = HTTPResponse(status: .created, contentType: "application/octet-stream", body: Array(request.body.readableBytesView))
            response.headers.add(name: "X-Method", value: request.method.rawValue)
            return response
        }
        router.get("/fail") { _ in throw CancellationError() }
        return router
    }

    @Test func routesByPathAndMethod() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n")
                let hello = try await client.readResponse()
                #expect(hello.status == 200)
                #expect(hello.body == "hello name=a\n")
                #expect(hello.header("Content-Type") == "text/plain")
                #expect(hello.header("Content-Length") == "13")
                #expect(hello.header("Connection") == "keep-alive")

                try await client.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().status == 404)

                // A routed path with another method: 405 naming the methods it has.
                try await client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                let wrongMethod = try await client.readResponse()
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.header("Allow") == "GET")

                // A handler that throws: 500, and the connection goes on.
                try await client.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().status == 500)
                try await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().body == "hello -\n")
            }
        }
    }

    @Test func postBodiesReachTheHandler() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
                let echo = try await client.readResponse()
                #expect(echo.status == 201)
                #expect(echo.body == "hello world")
                #expect(echo.header("X-Method") == "POST")

                // Chunked transfer encoding, in two writes.
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n")
                try await client.send("3\r\nfgh\r\n0\r\n\r\n")
                #expect(try await client.readResponse().body == "abcdefgh")
            }
        }
    }

    /// curl sends `Expect: 100-continue` before a large body and waits for the interim answer.
    @Test func expectContinueIsAnswered() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                #expect(try await client.readResponse().status == 100)
                try await client.send("data")
                let echo = try await client.readResponse()
                #expect(echo.status == 201)
                #expect(echo.body == "data")
            }
        }
    }

    @Test func tooLargeBodiesAreRefusedAndTheConnectionClosed() async throws {
        try await withHTTPServer(Self.router(), configure: { $0.maxRequestBodySize = 8 }) { port, _ in
            // Declared too large: refused before the body is read.
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n")
                let refused = try await client.readResponse()
                #expect(refused.status == 413)
                #expect(refused.header("Connection") == "close")
                #expect(try await client.waitForClose())
            }
            // Chunked, found too large while reading.
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n")
                #expect(try await client.readResponse().status == 413)
                #expect(try await client.waitForClose())
            }
            // At the limit: accepted.
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n12345678")
                #expect(try await client.readResponse().body == "12345678")
            }
        }
    }

    @Test func keepAliveAndClose() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            // Pipelined: both in one write, answered in order on the same connection.
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello?1 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?2 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().body == "hello 1\n")
                #expect(try await client.readResponse().body == "hello 2\n")
            }
            // HTTP/1.1 with Connection: close: answered, then closed.
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.header("Connection") == "close")
                #expect(try await client.waitForClose())
            }
            // HTTP/1.0 closes unless it asks for keep-alive.
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello HTTP/1.0\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.version == "HTTP/1.0")
                #expect(response.header("Connection") == "close")
                #expect(try await client.waitForClose())
            }
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try await client.readResponse().header("Connection") == "keep-alive")
                try await client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try await client.readResponse().status == 200)
            }
        }
    }

    @Test func malformedRequestsGet400() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            try await WireClient.connect(port: port) { client in
                try await client.send("NOT HTTP AT ALL\r\n\r\n")
                #expect(try await client.readResponse().status == 400)
                #expect(try await client.waitForClose())
            }
        }
    }

    @Test func aPathWithoutARouteGoesToTheFallback() async throws {
        var router = Self.router()
        router.fallback = { request in .text("tag \(request.path.dropFirst())\n") }
        try await withHTTPServer(router) { port, _ in
            try await WireClient.connect(port: port) { client in
                try await client.send("POST /app.access HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                #expect(try await client.readResponse().body == "tag app.access\n")
                // A routed path still answers 405 for another method, not the fallback.
                try await client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                #expect(try await client.readResponse().status == 405)
            }
        }
    }

    /// Graceful shutdown closes an idle keep-alive connection (a Prometheus scraper's) and returns.
    @Test func shutdownClosesIdleConnections() async throws {
        try await withHTTPServer(Self.router()) { port, trigger in
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().status == 200)
                trigger.triggerGracefulShutdown()
                #expect(try await client.waitForClose())
            }
        }
    }

    /// A request in flight at shutdown is answered (with `Connection: close`) before its connection closes.
    @Test func shutdownAnswersTheRequestInFlight() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        var router = HTTPRouter()
        router.get("/slow") { _ in
            startedContinuation.yield()
            for await _ in release { break }
            return .text("done\n")
        }
        try await withHTTPServer(router) { port, trigger in
            try await WireClient.connect(port: port) { client in
                try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                for await _ in started { break }
                trigger.triggerGracefulShutdown()
                releaseContinuation.yield()
                let response = try await client.readResponse()
                #expect(response.body == "done\n")
                #expect(response.header("Connection") == "close")
                #expect(try await client.waitForClose())
            }
        }
    }

    /// A connection that sends nothing is closed after `idleTimeout`. (It sends no request: on a
    /// loaded machine a request could arrive just after so short a timeout, and find it closed.)
    @Test func idleConnectionsAreClosedAfterTheTimeout() async throws {
        try await withHTTPServer(Self.router(), configure: { $0.idleTimeout = .milliseconds(100) }) { port, _ in
            let closed = try await WireClient.connect(port: port) { client in try await client.waitForClose() }
            #expect(closed)
        }
    }

    @Test func aTakenPortIsAClearError() async throws {
        try await withHTTPServer(Self.router()) { port, _ in
            let second = HTTPServer(configuration: .init(host: "127.0.0.1", port: port), router: HTTPRouter(), logger: .init(label: "test"))
            let error = try await #require(throws: HTTPServerError.self) { try await second.run() }
            #expect(error.isAddressInUse)
            #expect(
                error.description
                    == "cannot listen on 127.0.0.1:\(port): the port is already in use by another process; choose another port or stop that process")
        }
    }

    @Test func anUnresolvableHostIsAClearError() async throws {
        let server = HTTPServer(configuration: .init(host: "no-such-host.invalid", port: 0), router: HTTPRouter(), logger: .init(label: "test"))
        let error = try await #require(throws: HTTPServerError.self) { try await server.run() }
        #expect(!error.isAddressInUse)
        #expect(error.description.hasPrefix("cannot listen on no-such-host.invalid:0: "))
    }

    @Test func requestTargetsSplitIntoPathAndQuery() {
        let cases: [(uri: String, path: String, query: String?)] = [
            ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"),
            ("/a", "/a", nil),
            ("/a?", "/a", ""),
            ("?x", "/", "x"),
            ("", "/", nil),
        ]
        for (uri, path, query) in cases {
            let request = HTTPRequest(method: .GET, uri: uri)
            #expect(request.path == path, "\(uri)")
            #expect(request.query == query, "\(uri)")
        }
    }

    @Test func routerMatches() {
        var router = HTTPRouter()
        router.get("/a") { _ in .text("get\n") }
        router.post("/a") { _ in .text("post\n") }
        router.add(.PUT, "/a") { _ in .text("put\n") }
        router.add(.PUT, "/a") { _ in .text("put again\n") }
        guard case .handler = router.match(HTTPRequest(method: .POST, uri: "/a?q")) else {
            Issue.record("POST /a has a route")
            return
        }
        guard case .methodNotAllowed(let allowed) = router.match(HTTPRequest(method: .DELETE, uri: "/a")) else {
            Issue.record("DELETE /a is not allowed")
            return
        }
        #expect(allowed == [.GET, .POST, .PUT])
        guard case .notFound = router.match(HTTPRequest(method: .GET, uri: "/b")) else {
            Issue.record("/b has no route")
            return
        }
    }
}

/// The server stopping while clients connect. A suite of its own, with a longer time limit than
/// HTTPServerTests': its rounds of start, connect and stop wait on threads that a busy test
/// process (all of CI's suites at once) hands out slowly.
@Suite(.timeLimit(.minutes(5))) struct HTTPServerStopTests {
    static func router() -> HTTPRouter { HTTPServerTests.router() }

    /// Clients that connect while the server stops: each connection the server accepted, served
    /// or not yet, is closed, and the process goes on. (A connection NIO had accepted but not yet
    /// handed out when the listener closed used to be dropped unfinished, which traps: it brought
    /// runnel down on a SIGUSR2 reload while a probe connected.)
    final class Sockets: Sendable {
        let connected = Mutex<[Int32]>([])
    }

    @Test func connectionsArrivingAsItStopsAreClosed() async throws {
        for _ in 0..<3 {
            let sockets = Sockets()
            try await withHTTPServer(Self.router()) { port, trigger in
                // Blocking connects, on a thread of their own.
                try await onOwnThread {
                    for index in 0..<40 {
                        if index == 15 { trigger.triggerGracefulShutdown() }
                        guard let fd = connectLoopback(port: port) else { continue }
                        sockets.connected.withLock { $0.append(fd) }
                    }
                }
            }
            let fds = sockets.connected.withLock { $0 }
            let open = try await onOwnThread { fds.filter { !peerCloses($0, within: 30) }.count }
            fds.forEach { close($0) }
            #expect(open == 0, "connections accepted as the server stopped and left open: \(open) of \(fds.count)")
        }
    }
}
