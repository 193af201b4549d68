import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RunnelCore
import Synchronization

/// A Kinesis Data Streams / Firehose endpoint that accepts everything and counts it, fast enough
/// that benchmarks measure the forwarder rather than the endpoint.
///
/// It answers `PutRecords` with one `SequenceNumber`/`ShardId` per record and `PutRecordBatch`
/// with one `RecordId` per record (API shapes of the Kinesis and Firehose references), counts
/// records, bytes and, inside KPL aggregated records, the user records. One record in
/// `sampleEvery` is decoded to find its `seq` field, and its acceptance time is kept for latency.
/// `GET /stats` returns the counters as JSON; `GET /samples` the `seq acceptance-time` pairs.
///
/// Faults, for the retry paths of a forwarder: `SinkFaults` throttles a seeded fraction of records
/// and fails a seeded fraction of requests with 500; `ShardCapacity` throttles what is over the
/// documented per-shard write limits of a stream of N shards.
final class KinesisSink: Sendable {
    struct Stats: Sendable {
        var requests = 0
        var records = 0
        var failed: [Bool] = []
        var events = 0
        var bytes = 0
        /// Records answered ProvisionedThroughputExceededException.
        var throttled = 0
        /// Requests answered 500.
        var failedRequests = 0
        /// Size of the accepted records as Kinesis counts it: data before base64 plus partition key.
        var recordBytes = 0
        var firstAccept: Double = 0
        var lastAccept: Double = 0
        var samples: [(seq: Int, time: Double)] = []
    }

    let stats = Mutex(Stats())
    let sampleEvery: Int
    let faults: SinkFaults
    /// How many shards the stream has; nil: no write limits, one shard named in the answers.
    let shardCount: Int?
    /// The shards' write budgets, used when `shardCount` is set.
    let capacity: Mutex<ShardCapacity>
    /// How many records and requests have drawn a fault decision.
    let recordDraws = Atomic<UInt64>(0)
    /// Records accepted so far, numbering them for the samples.
    let acceptedDraws = Atomic<UInt64>(0)
    let requestDraws = Atomic<UInt64>(0)

    /// Seconds after start-up during which every request is answered 503 ServiceUnavailable.
    let outage: Range<Double>?
    let started = ContinuousClock.now

    init(sampleEvery: Int, faults: SinkFaults = SinkFaults(), shards: Int? = nil, outage: Range<Double>? = nil) {
        self.sampleEvery = sampleEvery
        self.faults = faults
        self.shardCount = shards
        self.capacity = Mutex(ShardCapacity(shards: shards ?? 1))
        self.outage = outage
        answers = (0..<max(1, shards ?? 1)).map { shard in
            (
                accepted: KinesisSink.answer(firehose: false, throttled: false, shard: shard),
                throttled: KinesisSink.answer(firehose: false, throttled: true, shard: shard)
            )
        }
    }

    /// The PutRecords answer entries of each shard, built once: the sink formats nothing per record.
    let answers: [(accepted: [UInt8], throttled: [UInt8])]
    static let firehoseAccepted = answer(firehose: true, throttled: false, shard: 0)
    static let firehoseThrottled = answer(firehose: true, throttled: true, shard: 0)

    /// Seconds since start-up.
    func elapsed() -> Double {
        let elapsed = started.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    static let serviceUnavailable = Array("{\"__type\":\"ServiceUnavailableException\",\"message\":\"outage injected by runnel-loadgen sink\"}".utf8)

    /// True inside the `--outage` window.
    func isOutage() -> Bool {
        guard let outage else { return false }
        return outage.contains(elapsed())
    }

    /// The body of a whole-request failure, as Kinesis' JSON protocol writes it.
    static let internalFailure = Array("{\"__type\":\"InternalFailure\",\"message\":\"injected by runnel-loadgen sink\"}".utf8)

    /// True when this request should fail as a whole (HTTP 500).
    func shouldFailRequest() -> Bool {
        guard faults.errorFraction > 0 else { return false }
        let fails = faults.failsRequest(requestDraws.wrappingAdd(1, ordering: .relaxed).oldValue)
        if fails { stats.withLock { $0.failedRequests += 1 } }
        return fails
    }

    func run(host: String, port: Int, tls: NIOSSLContext?) async throws {
        let sink = self
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(KinesisSinkHandler(sink: sink))
                }
            }
            .bind(host: host, port: port).get()
        FileHandle.standardOutput.write(Data("{\"port\":\(server.localAddress?.port ?? port)}\n".utf8))
        try await server.closeFuture.get()
    }

    /// DescribeStreamSummary's answer (Kinesis API reference): an active stream, provisioned with
    /// `--shards` shards, on demand without.
    func streamSummary(body: ByteBuffer) -> [UInt8] {
        let name = (try? JSONReader.decode(Array(body.readableBytesView)))?["StreamName"]?.stringValue ?? "stream"
        let mode = shardCount == nil ? "ON_DEMAND" : "PROVISIONED"
        var answer = Array("{\"StreamDescriptionSummary\":{\"StreamName\":".utf8)
        JSONWriter.appendString(name, to: &answer)
        answer += Array(
            (",\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/\(name)\",\"StreamStatus\":\"ACTIVE\","
                + "\"StreamModeDetails\":{\"StreamMode\":\"\(mode)\"},\"OpenShardCount\":\(shardCount ?? 1),"
                + "\"RetentionPeriodHours\":24,\"EncryptionType\":\"NONE\",\"ConsumerCount\":0}}").utf8)
        return answer
    }

    /// Handles one request body; returns the response body.
    func accept(target: String, body: ByteBuffer) -> [UInt8] {
        let now = Date().timeIntervalSince1970
        let bytes = body.readableBytesView
        let isFirehose = target.hasPrefix("Firehose")
        var events = 0
        var samples: [(Int, Double)] = []
        let entries = KinesisSink.entries(in: bytes, withKeys: shardCount != nil)
        let records = entries.count
        var failed = Array(repeating: false, count: records)
        var shards = Array(repeating: 0, count: shardCount == nil ? 0 : records)
        if faults.throttleFraction > 0 {
            let first = recordDraws.wrappingAdd(UInt64(records), ordering: .relaxed).oldValue
            for index in 0..<records where faults.throttlesRecord(first + UInt64(index)) { failed[index] = true }
        }
        if shardCount != nil {
            let sinceStart = elapsed()
            capacity.withLock { capacity in
                capacity.refill(now: sinceStart)
                for (index, entry) in entries.enumerated() {
                    shards[index] = capacity.shard(partitionKey: bytes[entry.key])
                    if !failed[index] && !capacity.admit(shard: shards[index], size: entry.size) { failed[index] = true }
                }
            }
        }
        var recordBytes = 0
        // Every `sampleEvery`-th record accepted over the sink's life, whatever the requests' sizes.
        let accepted = failed.lazy.filter { !$0 }.count
        var acceptedNumber = acceptedDraws.wrappingAdd(UInt64(accepted), ordering: .relaxed).oldValue
        for (index, entry) in entries.enumerated() where !failed[index] {
            recordBytes += entry.size
            let encoded = bytes[entry.data]
            if encoded.starts(with: Array("84mawg".utf8)) {
                events += KinesisSink.aggregatedCount(Data(base64Encoded: Data(encoded)) ?? Data())
            } else {
                events += 1
                acceptedNumber += 1
                if acceptedNumber % UInt64(sampleEvery) == 0 {
                    if let decoded = Data(base64Encoded: Data(encoded)), let seq = KinesisSink.sequence(in: decoded) {
                        samples.append((seq, now))
                    }
                }
            }
        }
        let failures = failed.filter { $0 }.count
        stats.withLock { stats in
            if failures < records {
                if stats.firstAccept == 0 { stats.firstAccept = now }
                stats.lastAccept = now
            }
            stats.requests += 1
            stats.records += records - failures
            stats.throttled += failures
            stats.recordBytes += recordBytes
            stats.events += events
            stats.bytes += bytes.count
            stats.samples.append(contentsOf: samples)
        }
        var out =
            isFirehose
            ? Array("{\"FailedPutCount\":\(failures),\"Encryption\":false,\"RequestResponses\":[".utf8)
            : Array("{\"FailedRecordCount\":\(failures),\"Records\":[".utf8)
        for index in 0..<records {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if isFirehose {
                out.append(contentsOf: failed[index] ? KinesisSink.firehoseThrottled : KinesisSink.firehoseAccepted)
            } else {
                let answer = answers[shards.isEmpty ? 0 : shards[index]]
                out.append(contentsOf: failed[index] ? answer.throttled : answer.accepted)
            }
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }

    /// One entry of a PutRecords / PutRecordBatch answer.
    static func answer(firehose: Bool, throttled: Bool, shard: Int) -> [UInt8] {
        let shardId = "shardId-" + String(repeating: "0", count: max(0, 12 - String(shard).count)) + String(shard)
        switch (firehose, throttled) {
        case (true, false): return Array("{\"RecordId\":\"49543463076548007577105092703039560359975228518395019266\"}".utf8)
        case (true, true): return Array("{\"ErrorCode\":\"ServiceUnavailableException\",\"ErrorMessage\":\"Slow down.\"}".utf8)
        case (false, false):
            return Array("{\"SequenceNumber\":\"49543463076548007577105092703039560359975228518395019266\",\"ShardId\":\"\(shardId)\"}".utf8)
        case (false, true):
            return Array(
                "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate exceeded for shard \(shardId) in stream bench under account 111111111111.\"}"
                    .utf8)
        }
    }

    /// One record of a request body: where its base64 data is, where its partition key is (when
    /// asked for), and its size as Kinesis counts it (data before base64 plus partition key).
    struct Entry {
        var data: Range<ByteBufferView.Index>
        var key: Range<ByteBufferView.Index>
        var size: Int
    }

    /// The records of a PutRecords or PutRecordBatch body, from its `"Data":"<base64>"` values (base64
    /// never holds a quote) and, with `withKeys`, the `"PartitionKey":"..."` that follows each one.
    static func entries(in bytes: ByteBufferView, withKeys: Bool) -> [Entry] {
        var entries: [Entry] = []
        var index = bytes.startIndex
        let dataKey = Array("\"Data\":\"".utf8)
        let partitionKey = Array("\"PartitionKey\":\"".utf8)
        let quote = UInt8(ascii: "\"")
        while let found = find(dataKey, in: bytes, from: index) {
            let start = found + dataKey.count
            guard let end = bytes[start...].firstIndex(of: quote) else { break }
            index = end
            let padding = bytes[start..<end].suffix(2).filter { $0 == UInt8(ascii: "=") }.count
            var entry = Entry(data: start..<end, key: end..<end, size: (end - start) / 4 * 3 - padding)
            if withKeys, let keyFound = find(partitionKey, in: bytes, from: end) {
                let keyStart = keyFound + partitionKey.count
                var keyEnd = keyStart
                while keyEnd < bytes.endIndex && bytes[keyEnd] != quote {
                    keyEnd += bytes[keyEnd] == UInt8(ascii: "\\") ? 2 : 1
                }
                keyEnd = min(keyEnd, bytes.endIndex)
                entry.key = keyStart..<keyEnd
                entry.size += keyEnd - keyStart
            }
            entries.append(entry)
        }
        return entries
    }

    func statsJSON() -> [UInt8] {
        let stats = self.stats.withLock { $0 }
        return Array(
            ("{\"requests\":\(stats.requests),\"records\":\(stats.records),\"events\":\(stats.events),\"bytes\":\(stats.bytes),"
                + "\"throttled\":\(stats.throttled),\"record_bytes\":\(stats.recordBytes),\"failed_requests\":\(stats.failedRequests),\"shards\":\(shardCount ?? 0),"
                + "\"first_accept\":\(stats.firstAccept),\"last_accept\":\(stats.lastAccept)}").utf8)
    }

    func samplesText() -> [UInt8] {
        let samples = stats.withLock { $0.samples }
        return Array(samples.map { "\($0.seq) \($0.time)" }.joined(separator: "\n").utf8)
    }

    static func find(_ needle: [UInt8], in haystack: ByteBufferView, from start: ByteBufferView.Index) -> ByteBufferView.Index? {
        var index = start
        let last = haystack.endIndex - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: needle[0]) else { return nil }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// The `seq` value of a JSON record: `"seq":"000000001234"` (the load generator's records).
    static func sequence(in data: Data) -> Int? {
        guard let range = data.range(of: Data("\"seq\":\"".utf8)) else { return nil }
        let digits = data[range.upperBound...].prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// How many user records a KPL aggregated record holds: occurrences of field 3 (`records`)
    /// in the protobuf `AggregatedRecord` between the 4 magic bytes and the 16-byte MD5.
    static func aggregatedCount(_ data: Data) -> Int {
        let bytes = [UInt8](data)
        guard bytes.count > 20 else { return 0 }
        var index = 4
        let end = bytes.count - 16
        var count = 0
        func varint() -> Int? {
            var result = 0
            var shift = 0
            while index < end {
                let byte = bytes[index]
                index += 1
                result |= Int(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
        while index < end {
            guard let key = varint() else { break }
            let wireType = key & 7
            if wireType == 2 {
                guard let length = varint(), length <= end - index else { break }
                if key >> 3 == 3 { count += 1 }
                index += length
            } else if wireType == 0 {
                guard varint() != nil else { break }
            } else {
                break
            }
        }
        return count
    }
}

/// One HTTP connection of the sink: gathers a request, answers it.
final class KinesisSinkHandler: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let sink: KinesisSink
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(sink: KinesisSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let response: [UInt8]
            var status = HTTPResponseStatus.ok
            var contentType = "application/x-amz-json-1.1"
            if head.method == .GET && head.uri.hasPrefix("/stats") {
                response = sink.statsJSON()
                contentType = "application/json"
            } else if head.method == .GET && head.uri.hasPrefix("/samples") {
                response = sink.samplesText()
                contentType = "text/plain"
            } else if (head.headers["X-Amz-Target"].first ?? "").hasSuffix(".DescribeStreamSummary") {
                response = sink.streamSummary(body: body)
            } else if sink.isOutage() {
                status = .serviceUnavailable
                response = KinesisSink.serviceUnavailable
            } else if sink.shouldFailRequest() {
                status = .internalServerError
                response = KinesisSink.internalFailure
            } else {
                let target = head.headers["X-Amz-Target"].first ?? ""
                response = sink.accept(target: target.contains("Firehose") ? "Firehose" : "Kinesis", body: body)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(response.count))
            headers.add(name: "x-amzn-RequestId", value: "runnel-loadgen-sink")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
