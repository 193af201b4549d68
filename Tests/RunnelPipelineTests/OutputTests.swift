import Logging
import RunnelConfig
import RunnelCore
import Synchronization
import Testing

@testable import RunnelPipeline

@Suite struct StdoutOutputTests {
    @Test func printsFluentdsLineShape() async throws {
        let printed = Mutex<[UInt8]>([])
        let output = StdoutOutput(format: .json) { bytes in printed.withLock { $0.append(contentsOf: bytes) } }
        try await output.emit(stream(tag: "app.web", [.record(["a": "b", "n": 1])], time: EventTime(seconds: 1_700_000_000, nanoseconds: 5)))
        let line = String(decoding: printed.withLock { $0 }, as: UTF8.self)
        // 2023-11-14 22:13:20.000000005 +0000 app.web: {"a":"b","n":1}   (local time zone)
        let pattern = #/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.000000005 [+-]\d{4} app\.web: \{"a":"b","n":1\}\n$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func hashFormatIsRubyInspect() async throws {
        let printed = Mutex<[UInt8]>([])
        let output = StdoutOutput(format: .hash) { bytes in printed.withLock { $0.append(contentsOf: bytes) } }
        try await output.emit(stream(tag: "t", [.record(["a": "b", "n": 1, "l": [true, nil]])]))
        #expect(String(decoding: printed.withLock { $0 }, as: UTF8.self).hasSuffix(#"t: {"a"=>"b", "n"=>1, "l"=>[true, nil]}"# + "\n"))
    }
}

@Suite struct CopyOutputTests {
    @Test func everyStoreGetsEveryEventAndIgnoreErrorKeepsGoing() async throws {
        let first = RecordingOutput()
        let last = RecordingOutput()
        let copy = CopyOutput(
            stores: [
                .init(output: first, ignoreError: false, ignoreIfPreviousSuccess: false),
                .init(output: FailingOutput(), ignoreError: true, ignoreIfPreviousSuccess: false),
                .init(output: last, ignoreError: false, ignoreIfPreviousSuccess: false),
            ], logger: Logger(label: "test"))
        try await copy.emit(stream("a.b", 3))
        #expect(first.tags == ["a.b"])
        #expect(last.tags == ["a.b"])
    }

    @Test func aFailingStoreWithoutIgnoreErrorFails() async throws {
        let copy = CopyOutput(stores: [.init(output: FailingOutput(), ignoreError: false, ignoreIfPreviousSuccess: false)], logger: Logger(label: "test"))
        await #expect(throws: PipelineError.self) { try await copy.emit(stream("a", 1)) }
    }

    @Test func nullCountsWhatItDiscards() async throws {
        let null = NullOutput(id: "n")
        try await null.emit(stream("a", 5))
        #expect(null.discardedCount == 5)
    }
}

struct FailingOutput: OutputPlugin {
    func emit(_ stream: EventStream) async throws { throw PipelineError.bufferOverflow(output: "failing") }
    func run() async throws {}
}
