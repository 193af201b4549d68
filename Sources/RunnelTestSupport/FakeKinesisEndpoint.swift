import Foundation
import Synchronization

/// A Kinesis Data Streams and Firehose endpoint in this process, on 127.0.0.1 and a free port,
/// with faults on demand: throttled records, whole-request 500/503 bursts, expired tokens,
/// dropped connections, delays and missing streams (`Faults`). It keeps every accepted record,
/// its Data decoded, and counts what it saw (`Stats`), for tests that check limits, retries and
/// that nothing was lost or duplicated. The behaviour is `FakeKinesisStateMachine`'s.
///
/// The real service's semantics that users meet are tested against moto; this endpoint is for
/// the faults moto cannot inject.
public final class FakeKinesisEndpoint: Sendable {
    private let server: FakeHTTPServer
    private let core: Core

    public var port: Int { server.port }
    /// `http://127.0.0.1:PORT`, for the output's `endpoint`.
    public var url: String { server.baseURL }

    private init(server: FakeHTTPServer, core: Core) {
        self.server = server
        self.core = core
    }

    /// - Parameters:
    ///   - shards: how many shards PutRecords results name (`ShardId` from the partition key's MD5).
    ///   - seed: seeds which records `failFraction` fails, so a run can be replayed.
    public static func start(_ faults: Faults = Faults(), shards: Int = 4, seed: UInt64 = 1) async throws -> FakeKinesisEndpoint {
        let core = Core(FakeKinesisStateMachine(faults: faults, shards: shards, seed: seed))
        let server = try await FakeHTTPServer.start { request in core.answer(request) }
        return FakeKinesisEndpoint(server: server, core: core)
    }

    /// Stops accepting connections (without waiting, so a `defer` can call it).
    public func stop() { server.close() }

    /// Changes the faults for the requests from now on.
    public func setFaults(_ change: (inout Faults) -> Void) { core.machine.withLock { change(&$0.faults) } }

    public var faults: Faults { core.machine.withLock { $0.faults } }
    public var stats: Stats { core.machine.withLock { $0.stats } }
    /// Every accepted record, in the order accepted.
    public var records: [Record] { core.machine.withLock { $0.records } }

    /// Zeroes the counters and forgets the accepted records.
    public func resetStats() { core.machine.withLock { $0.resetStats() } }
}

extension FakeKinesisEndpoint {
    /// The state machine behind its lock, shared by the endpoint and the server's handler.
    private final class Core: Sendable {
        let machine: Mutex<FakeKinesisStateMachine>

        init(_ machine: FakeKinesisStateMachine) { self.machine = Mutex(machine) }

        func answer(_ request: FakeHTTPServer.Request) -> FakeHTTPServer.Response {
            let input = FakeKinesisStateMachine.Request(
                target: request.headers["x-amz-target"] ?? "", authorized: request.headers["authorization"] != nil,
                securityToken: request.headers["x-amz-security-token"], body: request.bodyBytes)
            switch machine.withLock({ $0.receive(input) }) {
            case .dropConnection(let delay):
                return .dropConnection(delay: delay == .zero ? nil : delay)
            case .json(let status, let document, let errorType, let delay):
                var headers = [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("x-amzn-RequestId", UUID().uuidString.lowercased()),
                ]
                if let errorType { headers.append(("x-amzn-ErrorType", errorType)) }
                return FakeHTTPServer.Response(
                    status: status, body: Array(document.utf8), headers: headers, delay: delay == .zero ? nil : delay)
            }
        }
    }
}
