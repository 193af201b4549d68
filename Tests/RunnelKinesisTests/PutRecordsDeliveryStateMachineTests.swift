import RunnelBuffer
import Testing

@testable import RunnelKinesis

/// The PutRecords / PutRecordBatch delivery of one chunk as a value: which requests go out, how
/// long to wait, when to refresh credentials and what the chunk's outcome is, fed scripted answers.
/// No network, no clock. The rules are fluent-plugin-kinesis' (`batch_request_with_retry`,
/// `Backoff` and `retries_on_batch_request` in lib/fluent/plugin/kinesis_helper/api.rb).
struct PutRecordsDeliveryStateMachineTests {
    typealias Machine = PutRecordsDeliveryStateMachine
    typealias Action = Machine.Action
    typealias RecordFailure = Machine.RecordFailure
    typealias Result = PutRecordsResponse.Result

    static let throttled = "ProvisionedThroughputExceededException"

    /// One record per entry, `size` bytes of data each, partition keys as given.
    static func store(keys: [String], size: Int = 10) -> RecordStore {
        var store = RecordStore()
        for (entry, key) in keys.enumerated() {
            let dataStart = store.bytes.count
            store.bytes.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size))
            let keyStart = store.bytes.count
            store.bytes.append(contentsOf: key.utf8)
            store.commit(dataStart: dataStart, keyStart: keyStart, entry: entry)
        }
        return store
    }

    static func store(count: Int, size: Int = 10) -> RecordStore {
        store(keys: (0..<count).map { "k\($0)" }, size: size)
    }

    /// Aggregated records: record i carries `entries[i]` consecutive chunk entries.
    static func aggregatedStore(entries: [Int]) -> RecordStore {
        var store = RecordStore()
        var next = 0
        for count in entries {
            let dataStart = store.bytes.count
            store.bytes.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: 100))
            let keyStart = store.bytes.count
            store.bytes.append(contentsOf: "fixed".utf8)
            let first = store.entryIndices.count
            store.entryIndices.append(contentsOf: next..<(next + count))
            next += count
            store.records.append(
                RecordStore.Record(data: dataStart..<keyStart, key: keyStart..<store.bytes.count, entries: first..<store.entryIndices.count))
        }
        return store
    }

    static func machine(
        _ store: RecordStore, maxCount: Int = 500, maxSize: Int = 5 << 20, retainOrdering: Bool = false, retries: Int = 3,
        reset: Bool = true, drop: Bool = false
    ) -> Machine {
        Machine(
            store: store, batcher: PutRecordsBatcher(maxCount: maxCount, maxSize: maxSize, retainOrdering: retainOrdering),
            retries: retries, resetBackoffIfSuccess: reset, dropFailedRecords: drop, stream: "logs", region: "us-east-1")
    }

    /// An answer accepting every record but `failing` (record index: error code).
    static func answer(_ records: [Int], failing: [Int: String] = [:]) -> [Result] {
        records.map { record in
            failing[record].map { Result(errorCode: $0, errorMessage: "\($0) for \(record)") } ?? Result()
        }
    }

    static func failure(_ record: Int, _ code: String = throttled) -> RecordFailure {
        RecordFailure(record: record, code: code, message: "\(code) for \(record)")
    }

    static func serviceError(_ code: String, status: Int, message: String = "") -> KinesisError {
        KinesisError(.service(code: code, status: status), message: message, stream: "logs", region: "us-east-1")
    }

    /// What a driver does: answers each request with `answer`, finishes every wait at once, and
    /// returns every action up to and including `.done`.
    static func drive(
        _ machine: inout Machine, jitter: Double = 0.5, destinationUp: Bool = false,
        answer: (_ request: Int, _ records: [Int]) -> Swift.Result<[Result], KinesisError>
    ) -> [Action] {
        var actions = [machine.start()]
        var requests = 0
        while true {
            switch actions.last! {
            case .send(let records):
                switch answer(requests, records) {
                case .success(let results): actions.append(machine.received(results, jitter: { jitter }))
                case .failure(let error): actions.append(machine.requestFailed(error, destinationUp: destinationUp))
                }
                requests += 1
            case .wait: actions.append(machine.waited())
            case .refreshCredentials: actions.append(machine.credentialsRefreshed())
            case .done: return actions
            }
        }
    }

    static func outcome(_ actions: [Action]) -> Machine.Outcome? {
        if case .done(let outcome) = actions.last { return outcome }
        return nil
    }

    static func waits(_ actions: [Action]) -> [Duration] {
        actions.compactMap { action -> Duration? in
            guard case .wait(let wait, _) = action else { return nil }
            return wait
        }
    }

    static func requests(_ actions: [Action]) -> [[Int]] {
        actions.compactMap { action -> [Int]? in
            guard case .send(let records) = action else { return nil }
            return records
        }
    }

    // MARK: Requests

    @Test func everythingAcceptedGoesInRequestsOfTheBatcherAndNoWait() {
        var machine = Self.machine(Self.store(count: 1203))
        let actions = Self.drive(&machine) { .success(Self.answer($1)) }
        #expect(Self.requests(actions) == [Array(0..<500), Array(500..<1000), Array(1000..<1203)])
        #expect(Self.outcome(actions) == Machine.Outcome(accepted: EntrySet(0..<1203)))
    }

    @Test func requestsAreCutByBytesToo() {
        // 100 + 2 bytes each (keys k0..k9): five fit in 512 bytes.
        var machine = Self.machine(Self.store(count: 10, size: 100), maxSize: 512)
        let actions = Self.drive(&machine) { .success(Self.answer($1)) }
        #expect(Self.requests(actions) == [Array(0..<5), Array(5..<10)])
    }

    @Test func anEmptyChunkIsDoneAtOnce() {
        var machine = Self.machine(RecordStore())
        #expect(machine.start() == .done(Machine.Outcome()))
    }

    // MARK: Per-record retries

    @Test func partialFailuresAreResentAloneThenSucceed() {
        var machine = Self.machine(Self.store(count: 10))
        #expect(machine.start() == .send(Array(0..<10)))
        let first = machine.received(Self.answer(Array(0..<10), failing: [2: Self.throttled, 5: "InternalFailure"]), jitter: { 0.5 })
        #expect(first == .wait(.milliseconds(300), Machine.Retry(attempt: 1, failures: [Self.failure(2), Self.failure(5, "InternalFailure")])))
        #expect(machine.waited() == .send([2, 5]))
        #expect(machine.received(Self.answer([2, 5]), jitter: { 0.5 }) == .done(Machine.Outcome(accepted: EntrySet(0..<10))))
    }

    struct BackoffCase: Sendable {
        var reset: Bool
        /// Each answer takes one record.
        var acceptSome: Bool
        var waits: [Int]
    }

    /// `reset_backoff_if_success` (default true): an answer that took any record restarts the
    /// backoff at 2^0; without it, or while nothing gets through, the wait doubles.
    @Test(arguments: [
        BackoffCase(reset: true, acceptSome: true, waits: [300, 300, 300]),
        BackoffCase(reset: true, acceptSome: false, waits: [300, 600, 1200]),
        BackoffCase(reset: false, acceptSome: true, waits: [300, 600, 1200]),
    ])
    func backoffResetsAfterSuccessOnly(_ example: BackoffCase) {
        let (reset, acceptSome, waits) = (example.reset, example.acceptSome, example.waits)
        var machine = Self.machine(Self.store(count: 8), retries: 3, reset: reset)
        let actions = Self.drive(&machine) { request, records in
            // Each answer fails all but (with acceptSome) the first record; the fourth takes everything.
            guard request < 3 else { return .success(Self.answer(records)) }
            let failing = records.dropFirst(acceptSome ? 1 : 0)
            return .success(Self.answer(records, failing: Dictionary(uniqueKeysWithValues: failing.map { ($0, Self.throttled) })))
        }
        #expect(Self.waits(actions) == waits.map { .milliseconds($0) })
        #expect(Self.outcome(actions) == Machine.Outcome(accepted: EntrySet(0..<8)))
    }

    /// fluent-plugin-kinesis' `Backoff#calc_interval`: 2^n × (0.3 + (0.5 − rand) × 0.1) seconds.
    @Test(arguments: [(0.0, 350), (0.5, 300), (0.9, 260)])
    func waitsScaleWithTheJitter(jitter: Double, milliseconds: Int) {
        var machine = Self.machine(Self.store(count: 1))
        _ = machine.start()
        let action = machine.received(Self.answer([0], failing: [0: Self.throttled]), jitter: { jitter })
        #expect(action == .wait(.milliseconds(milliseconds), Machine.Retry(attempt: 1, failures: [Self.failure(0)])))
    }

    @Test func jitterIsDrawnOnlyForAWait() {
        var machine = Self.machine(Self.store(count: 3), retries: 0)
        var draws = 0
        _ = machine.start()
        _ = machine.received(
            Self.answer([0, 1, 2]),
            jitter: {
                draws += 1
                return 0.5
            })
        #expect(draws == 0)
    }

    @Test func retriesExhaustedLeaveTheRecordsToTheBufferAndLaterRequestsStillGo() {
        var machine = Self.machine(Self.store(count: 6), maxCount: 3, retries: 2)
        let actions = Self.drive(&machine) { _, records in
            .success(Self.answer(records, failing: [1: Self.throttled, 2: "InternalFailure"]))
        }
        // Request [0,1,2], its retries [1,2] twice, then the next request [3,4,5].
        #expect(Self.requests(actions) == [[0, 1, 2], [1, 2], [1, 2], [3, 4, 5]])
        #expect(Self.waits(actions) == [.milliseconds(300), .milliseconds(600)])
        let outcome = Self.outcome(actions)
        #expect(outcome?.accepted == EntrySet([0, 3, 4, 5]))
        #expect(outcome?.dropped == [])
        #expect(outcome?.failure?.permanent == false)
        #expect(outcome?.failure?.request == nil)
        #expect(outcome?.failure?.error.code == Self.throttled)
        #expect(
            outcome?.failure?.error.message
                == "2 records for stream 'logs' still failing after 2 batch retries (InternalFailure x1, ProvisionedThroughputExceededException x1); left to the buffer's retry"
        )
    }

    @Test func dropAfterRetriesCountsTheRecordsAsDone() {
        var machine = Self.machine(Self.store(count: 5), retries: 1, drop: true)
        let actions = Self.drive(&machine) { _, records in
            .success(Self.answer(records, failing: [0: Self.throttled, 3: Self.throttled]))
        }
        #expect(Self.requests(actions) == [[0, 1, 2, 3, 4], [0, 3]])
        #expect(Self.waits(actions) == [.milliseconds(300)])
        #expect(
            Self.outcome(actions)
                == Machine.Outcome(
                    accepted: EntrySet(0..<5),
                    dropped: [Machine.FailedRecords(failures: [Self.failure(0), Self.failure(3)], entryCount: 2)]))
        #expect(Self.outcome(actions)?.dropped.first?.summary == "\(Self.throttled) x2")
    }

    @Test func zeroRetriesGiveUpAfterTheFirstAnswer() {
        var machine = Self.machine(Self.store(count: 2), retries: 0)
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [1: Self.throttled])) }
        #expect(Self.requests(actions) == [[0, 1]])
        #expect(Self.waits(actions).isEmpty)
        #expect(Self.outcome(actions)?.accepted == EntrySet([0]))
    }

    @Test func anInterruptedWaitEndsTheRetriesOfThatRequest() {
        var machine = Self.machine(Self.store(count: 4), maxCount: 2, retries: 5)
        _ = machine.start()
        _ = machine.received(Self.answer([0, 1], failing: [1: Self.throttled]), jitter: { 0.5 })
        #expect(machine.waitInterrupted() == .send([2, 3]))
        guard case .done(let outcome) = machine.received(Self.answer([2, 3]), jitter: { 0.5 }) else {
            Issue.record("expected .done")
            return
        }
        #expect(outcome.accepted == EntrySet([0, 2, 3]))
        #expect(outcome.failure?.error.message.hasPrefix("1 records for stream 'logs' still failing after 5 batch retries") == true)
    }

    // MARK: retain_ordering

    /// A request holds one record per partition key; once a record is left failed, later records
    /// of its key stay in the chunk for the buffer's retry, so they never overtake it.
    @Test func retainOrderingHoldsBackTheKeysOfFailedRecords() {
        let store = Self.store(keys: ["a", "b", "a", "c", "b", "d"])
        var machine = Self.machine(store, retainOrdering: true, retries: 1)
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [1: Self.throttled])) }
        // [0 a, 1 b, 3 c, 5 d]; 1 is retried once and stays failed; then 2 (a) goes, 4 (b) never does.
        #expect(Self.requests(actions) == [[0, 1, 3, 5], [1], [2]])
        let outcome = Self.outcome(actions)
        #expect(outcome?.accepted == EntrySet([0, 2, 3, 5]))
        #expect(outcome?.failure?.error.message.hasPrefix("1 records for stream 'logs'") == true)
    }

    @Test func withoutRetainOrderingLaterRecordsOfAFailedKeyStillGo() {
        let store = Self.store(keys: ["a", "b", "a", "c", "b", "d"])
        var machine = Self.machine(store, maxCount: 3, retries: 0)
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [1: Self.throttled])) }
        #expect(Self.requests(actions) == [[0, 1, 2], [3, 4, 5]])
        #expect(Self.outcome(actions)?.accepted == EntrySet([0, 2, 3, 4, 5]))
    }

    // MARK: Whole-request failures

    @Test func aRetryableRequestFailureEndsTheAttemptKeepingWhatWasTaken() {
        var machine = Self.machine(Self.store(count: 700))
        let error = Self.serviceError("InternalFailure", status: 500)
        let actions = Self.drive(&machine) { request, records in request == 0 ? .success(Self.answer(records)) : .failure(error) }
        #expect(Self.requests(actions) == [Array(0..<500), Array(500..<700)])
        let outcome = Self.outcome(actions)
        #expect(outcome?.accepted == EntrySet(0..<500))
        #expect(outcome?.failure == Machine.Failure(error: error.deliveryError, permanent: false, request: error))
        #expect(outcome?.failure?.error.code == "InternalFailure")
    }

    @Test func recordsTakenByEarlierRetriesCountWhenTheRequestThenFails() {
        var machine = Self.machine(Self.store(count: 3))
        _ = machine.start()
        _ = machine.received(Self.answer([0, 1, 2], failing: [2: Self.throttled]), jitter: { 0.5 })
        _ = machine.waited()
        let error = KinesisError(.transport, message: "connection reset", stream: "logs", region: "us-east-1")
        guard case .done(let outcome) = machine.requestFailed(error) else {
            Issue.record("expected .done")
            return
        }
        #expect(outcome.accepted == EntrySet([0, 1]))
        #expect(outcome.failure?.permanent == false)
        #expect(outcome.failure?.error.code == "transport")
    }

    @Test func aFatalRequestFailureIsPermanentWithAdvice() {
        var machine = Self.machine(Self.store(count: 3))
        _ = machine.start()
        guard case .done(let outcome) = machine.requestFailed(Self.serviceError("ResourceNotFoundException", status: 400)) else {
            Issue.record("expected .done")
            return
        }
        #expect(outcome.accepted == EntrySet())
        #expect(outcome.failure?.permanent == true)
        #expect(outcome.failure?.error.code == "ResourceNotFoundException")
        #expect(
            outcome.failure?.error.message.hasPrefix("stream 'logs' not found in us-east-1 (ResourceNotFoundException): check stream_name and region") == true)
    }

    @Test func anAnswerOfTheWrongLengthIsATransportFailure() {
        var machine = Self.machine(Self.store(count: 5))
        _ = machine.start()
        guard case .done(let outcome) = machine.received(Self.answer([0, 1, 2]), jitter: { 0.5 }) else {
            Issue.record("expected .done")
            return
        }
        #expect(outcome.accepted == EntrySet())
        #expect(outcome.failure?.request?.kind == .transport)
        #expect(outcome.failure?.request?.message == "answer has 3 results for 5 records")
        #expect(outcome.failure?.permanent == false)
    }

    // MARK: Expired credentials

    @Test func anExpiredTokenIsRefreshedAndTheSameRequestSentAtOnce() {
        var machine = Self.machine(Self.store(count: 4))
        #expect(machine.start() == .send([0, 1, 2, 3]))
        #expect(machine.requestFailed(Self.serviceError("ExpiredTokenException", status: 400)) == .refreshCredentials)
        #expect(machine.credentialsRefreshed() == .send([0, 1, 2, 3]))
        #expect(machine.received(Self.answer([0, 1, 2, 3]), jitter: { 0.5 }) == .done(Machine.Outcome(accepted: EntrySet(0..<4))))
    }

    /// Once per chunk: a second expired token, even in a later request, goes back to the buffer.
    @Test func theTokenIsRefreshedOncePerChunk() {
        var machine = Self.machine(Self.store(count: 4), maxCount: 2)
        let expired = Self.serviceError("ExpiredTokenException", status: 400, message: "The security token included in the request is expired")
        let actions = Self.drive(&machine) { request, records in
            // The first request and the second request each meet an expired token once.
            request == 0 || request == 2 ? .failure(expired) : .success(Self.answer(records))
        }
        #expect(actions.filter { $0 == .refreshCredentials }.count == 1)
        #expect(Self.requests(actions) == [[0, 1], [0, 1], [2, 3]])
        #expect(Self.waits(actions).isEmpty)
        let outcome = Self.outcome(actions)
        #expect(outcome?.accepted == EntrySet([0, 1]))
        #expect(outcome?.failure == Machine.Failure(error: expired.deliveryError, permanent: false, request: expired))
    }

    // MARK: The three outputs

    /// kinesis_streams_aggregated: one KPL aggregate per request, whatever batch_request_max_count
    /// says (it bounds the records inside an aggregate); accepted and dropped count chunk entries.
    @Test func aggregatedSendsOneRecordPerRequest() throws {
        var configuration = KinesisConfiguration(kind: .streamsAggregated, streamName: "logs", region: "us-east-1")
        configuration.retriesOnBatchRequest = 1
        configuration.dropFailedRecordsAfterBatchRequestRetries = true
        configuration.retainOrdering = true
        let store = Self.aggregatedStore(entries: [3, 2, 4])
        var machine = Machine(configuration: configuration, store: store, stream: "logs")
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [1: Self.throttled])) }
        #expect(Self.requests(actions) == [[0], [1], [1], [2]])
        #expect(!machine.batcher.retainOrdering)
        #expect(
            Self.outcome(actions)
                == Machine.Outcome(accepted: EntrySet(0..<9), dropped: [Machine.FailedRecords(failures: [Self.failure(1)], entryCount: 2)]))
    }

    /// kinesis_firehose: PutRecordBatch's 500 records and 4 MiB; `retain_ordering` is a
    /// kinesis_streams parameter and changes nothing here.
    @Test func firehoseBatchesByItsOwnLimits() {
        var configuration = KinesisConfiguration(kind: .firehose, streamName: "logs", region: "us-east-1")
        configuration.retainOrdering = true
        #expect(configuration.batchRequestMaxCount == 500 && configuration.batchRequestMaxSize == 4 << 20)
        var machine = Machine(configuration: configuration, store: Self.store(keys: Array(repeating: "", count: 1100)), stream: "logs")
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records)) }
        #expect(Self.requests(actions).map(\.count) == [500, 500, 100])
        #expect(Self.outcome(actions) == Machine.Outcome(accepted: EntrySet(0..<1100)))
    }

    /// kinesis_streams: its defaults are fluent-plugin-kinesis' (retries_on_batch_request 8,
    /// reset_backoff_if_success true; lib/fluent/plugin/kinesis_helper/api.rb `config_param`s).
    @Test func streamsUseTheConfiguredRetries() {
        let configuration = KinesisConfiguration(kind: .streams, streamName: "logs", region: "us-east-1")
        var machine = Machine(configuration: configuration, store: Self.store(count: 2), stream: "logs")
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [0: Self.throttled])) }
        #expect(Self.requests(actions).count == 9)
        // The first answer took record 1, so the first wait is 2^0; then nothing gets through and it doubles.
        #expect(Self.waits(actions) == (0..<8).map { .milliseconds(300 << $0) })
        #expect(Self.outcome(actions)?.accepted == EntrySet([1]))
    }

    // MARK: Deferred retries

    static func deferring(
        _ store: RecordStore, maxCount: Int = 500, retries: Int = 3, reset: Bool = true, drop: Bool = false,
        prior: PendingRetries = PendingRetries()
    ) -> Machine {
        Machine(
            store: store, batcher: PutRecordsBatcher(maxCount: maxCount, maxSize: 5 << 20), retries: retries, resetBackoffIfSuccess: reset,
            dropFailedRecords: drop, stream: "logs", region: "us-east-1", deferRetries: true, priorAttempts: prior)
    }

    /// Failed records do not hold the chunk: the next request goes at once, and the failed ones
    /// come back with their attempts and the wait before they may go again.
    @Test func deferredRetriesLetLaterRequestsGoAndHandTheFailedRecordsBack() {
        var machine = Self.deferring(Self.store(count: 1000))
        let actions = Self.drive(&machine) { request, records in
            .success(Self.answer(records, failing: request == 0 ? [2: Self.throttled, 5: "InternalFailure"] : [:]))
        }
        #expect(Self.requests(actions) == [Array(0..<500), Array(500..<1000)])
        #expect(Self.waits(actions).isEmpty)
        let accepted = EntrySet((0..<1000).filter { $0 != 2 && $0 != 5 })
        #expect(
            Self.outcome(actions)
                == Machine.Outcome(
                    accepted: accepted,
                    deferred: Machine.Deferred(
                        retries: PendingRetries(attempts: [2: 1, 5: 1], backoffCount: 1), after: .milliseconds(300), records: 2)))
    }

    /// The attempts carried over count: a record whose retries are spent is dropped (or left to
    /// the buffer's retry) instead of deferred again, and the others keep counting.
    @Test(arguments: [true, false])
    func deferredRecordsOutOfRetriesAreGivenUp(drop: Bool) {
        var machine = Self.deferring(Self.store(count: 3), retries: 3, drop: drop, prior: PendingRetries(attempts: [0: 3, 1: 1], backoffCount: 2))
        let actions = Self.drive(&machine) { _, records in .success(Self.answer(records, failing: [0: Self.throttled, 1: Self.throttled])) }
        let outcome = Self.outcome(actions)
        #expect(outcome?.deferred?.retries.attempts == [1: 2])
        #expect(outcome?.accepted == (drop ? EntrySet([0, 2]) : EntrySet([2])))
        #expect((outcome?.failure != nil) == !drop)
        #expect(outcome?.dropped.map(\.entryCount) == (drop ? [1] : []))
    }

    /// reset_backoff_if_success: an attempt that took any record waits 2^0 again; one that took
    /// none waits 2^n with n carried from the last attempt.
    @Test(arguments: [(true, 300, 1), (false, 1200, 3)])
    func deferredBackoffGrowsUntilSomethingGetsThrough(acceptSome: Bool, milliseconds: Int, next: Int) {
        var machine = Self.deferring(Self.store(count: 2), prior: PendingRetries(attempts: [:], backoffCount: 2))
        let actions = Self.drive(&machine) { _, records in
            .success(Self.answer(records, failing: acceptSome ? [0: Self.throttled] : [0: Self.throttled, 1: Self.throttled]))
        }
        #expect(Self.outcome(actions)?.deferred?.after == .milliseconds(milliseconds))
        #expect(Self.outcome(actions)?.deferred?.retries.backoffCount == next)
    }

    /// retain_ordering keeps its guarantee: the records of a failed key wait in place.
    @Test func retainOrderingWaitsInPlaceEvenWhenTheBufferAllowsDeferring() {
        var configuration = KinesisConfiguration(kind: .streams, streamName: "logs", region: "us-east-1")
        configuration.retainOrdering = true
        var machine = Machine(configuration: configuration, store: Self.store(count: 2), stream: "logs", mayDefer: true)
        let actions = Self.drive(&machine) { request, records in
            .success(Self.answer(records, failing: request == 0 ? [0: Self.throttled] : [:]))
        }
        #expect(Self.waits(actions) == [.milliseconds(300)])
        #expect(Self.outcome(actions)?.deferred == nil)
        let plain = KinesisConfiguration(kind: .streams, streamName: "logs", region: "us-east-1")
        var deferring = Machine(configuration: plain, store: Self.store(count: 2), stream: "logs", mayDefer: true)
        let deferred = Self.drive(&deferring) { request, records in
            .success(Self.answer(records, failing: request == 0 ? [0: Self.throttled] : [:]))
        }
        #expect(Self.waits(deferred).isEmpty)
        #expect(Self.outcome(deferred)?.deferred?.records == 1)
    }

    /// A request that fails whole after the attempt got records through is a passing failure:
    /// its records wait with the throttled ones, without a retry counted, and the rest goes on.
    /// Before anything got through, it ends the attempt for the buffer's backoff.
    @Test func aWholeRequestFailureAmongSuccessesIsDeferred() {
        var machine = Self.deferring(Self.store(count: 3), maxCount: 1, prior: PendingRetries(attempts: [1: 2]))
        let actions = Self.drive(&machine) { request, records in
            request == 1 ? .failure(Self.serviceError("InternalFailure", status: 500)) : .success(Self.answer(records))
        }
        #expect(Self.requests(actions) == [[0], [1], [2]])
        let outcome = Self.outcome(actions)
        #expect(outcome?.failure == nil)
        #expect(outcome?.accepted == EntrySet([0, 2]))
        #expect(outcome?.deferred?.retries.attempts == [1: 2])
        #expect(machine.failedRequests == 1)

        var first = Self.deferring(Self.store(count: 3), maxCount: 1)
        let ended = Self.drive(&first) { _, _ in .failure(Self.serviceError("InternalFailure", status: 500)) }
        #expect(Self.requests(ended) == [[0]])
        #expect(Self.outcome(ended)?.failure?.request?.code == "InternalFailure")
        #expect(Self.outcome(ended)?.deferred == nil)
    }

    /// While the destination answers other requests (the sender's other flush threads), a
    /// whole-request failure on an attempt's first request waits with the deferred records too,
    /// instead of ending the attempt.
    @Test func aWholeRequestFailureWhileTheDestinationAnswersIsDeferred() {
        var machine = Self.deferring(Self.store(count: 3), maxCount: 1)
        #expect(machine.failureWouldWait(destinationUp: true))
        #expect(!machine.failureWouldWait(destinationUp: false))
        let actions = Self.drive(&machine, destinationUp: true) { request, records in
            request == 0 ? .failure(Self.serviceError("InternalFailure", status: 500)) : .success(Self.answer(records))
        }
        #expect(Self.requests(actions) == [[0], [1], [2]])
        #expect(Self.outcome(actions)?.failure == nil)
        #expect(Self.outcome(actions)?.accepted == EntrySet([1, 2]))
        #expect(Self.outcome(actions)?.deferred?.records == 1)
    }
}
