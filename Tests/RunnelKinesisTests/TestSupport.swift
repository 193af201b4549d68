import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelCore
import RunnelSigV4
import RunnelTestSupport
import Synchronization

@testable import RunnelKinesis

/// Credentials that never change, or change once after `invalidate()`.
final class StaticCredentialProvider: CredentialProvider {
    let tokens: [String?]
    let state = Mutex((index: 0, invalidations: 0))

    init(tokens: [String?] = [nil]) { self.tokens = tokens }

    func credentials() async throws -> AWSCredentials {
        let index = state.withLock { $0.index }
        return AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            sessionToken: tokens[min(index, tokens.count - 1)].map(Secret.init))
    }

    func invalidate() async {
        state.withLock {
            $0.index += 1
            $0.invalidations += 1
        }
    }

    var invalidations: Int { state.withLock { $0.invalidations } }
}

/// Builds a chunk from records.
func makeChunk(
    _ records: [MessagePackValue], tag: String = "app.test", time: EventTime = EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789),
    delivered: EntrySet = EntrySet()
) -> ChunkToSend {
    var builder = EventStreamBuilder(tag: tag)
    for record in records { builder.append(time: time, record: record) }
    let stream = builder.build()
    return ChunkToSend(
        id: "test", metadata: ChunkMetadata(tag: tag), entries: stream.entries, count: stream.count, delivered: delivered)
}

/// Formats one record with `formatter`, as a String.
func formatted(
    _ formatter: RecordFormatter, _ record: MessagePackValue, tag: String = "app.test",
    time: EventTime = EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789)
) throws -> [UInt8] {
    var formatter = formatter
    var out: [UInt8] = []
    try MessagePackReader.withReader(record.encoded) { reader in
        try formatter.append(tag: tag, time: time, record: reader, to: &out)
    }
    return out
}

func testLogger() -> Logger {
    var logger = Logger(label: "kinesis-test")
    logger.logLevel = .critical
    return logger
}
