import Crypto
import Foundation

/// The fake endpoint's behaviour as a value: a request in, an answer out, with the faults,
/// counters and accepted records as its state. The HTTP server around it only carries answers out.
///
/// Shapes follow the AWS API references over the JSON 1.1 protocol (`X-Amz-Target` names the
/// operation): Kinesis Data Streams PutRecords (`Records` of `SequenceNumber`/`ShardId` or
/// `ErrorCode`/`ErrorMessage`, `FailedRecordCount`, `EncryptionType`) and DescribeStreamSummary;
/// Firehose PutRecordBatch (`RequestResponses` of `RecordId` or `ErrorCode`/`ErrorMessage`,
/// `FailedPutCount`, `Encrypted`) and DescribeDeliveryStream. Request limits answer with the
/// documented errors; errors are `{"__type": code, "message": …}` with `x-amzn-ErrorType`.
/// Signatures are not verified, but an Authorization header is required.
struct FakeKinesisStateMachine {
    struct Request {
        var target: String
        var authorized: Bool
        var securityToken: String?
        var body: [UInt8]
    }

    enum Answer: Equatable {
        /// A JSON 1.1 document with its status; `errorType` for an error document.
        case json(status: Int, document: String, errorType: String?, delay: Duration)
        case dropConnection(delay: Duration)
    }

    static let kinesisPrefix = "Kinesis_20131202."
    static let firehosePrefix = "Firehose_20150804."
    static let mebibyte = 1 << 20
    static let account = "123456789012"

    var faults: FakeKinesisEndpoint.Faults
    let shards: Int
    private(set) var stats = FakeKinesisEndpoint.Stats()
    private(set) var records: [FakeKinesisEndpoint.Record] = []
    private var random: SplitMix64
    private var sequence = 0

    init(faults: FakeKinesisEndpoint.Faults, shards: Int, seed: UInt64) {
        self.faults = faults
        self.shards = max(1, shards)
        random = SplitMix64(seed: seed)
    }

    /// Zeroes the counters and forgets the accepted records.
    mutating func resetStats() {
        stats = FakeKinesisEndpoint.Stats()
        records = []
    }

    mutating func receive(_ request: Request) -> Answer {
        stats.requests += 1
        let delay = faults.delay
        if faults.dropConnections > 0 {
            faults.dropConnections -= 1
            stats.wholeRequestErrors["dropped_connection", default: 0] += 1
            return .dropConnection(delay: delay)
        }
        var answer = dispatch(request)
        if case .json(let status, let document, let errorType, _) = answer {
            answer = .json(status: status, document: document, errorType: errorType, delay: delay)
        }
        return answer
    }

    private mutating func dispatch(_ request: Request) -> Answer {
        let operations = [
            Self.kinesisPrefix + "PutRecords", Self.kinesisPrefix + "DescribeStreamSummary",
            Self.firehosePrefix + "PutRecordBatch", Self.firehosePrefix + "DescribeDeliveryStream",
        ]
        guard operations.contains(request.target) else {
            return error(400, "UnknownOperationException", "unknown target \(request.target)")
        }
        guard request.authorized else {
            return error(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        var burst: (status: Int, code: String)?
        if faults.errorBurst > 0 && faults.errorBurstAfter > 0 {
            faults.errorBurstAfter -= 1
        } else if faults.errorBurst > 0 {
            faults.errorBurst -= 1
            burst = (faults.errorStatus, faults.errorStatus == 500 ? "InternalFailure" : "ServiceUnavailable")
        }
        var expired = false
        if faults.expiredToken > 0 {
            faults.expiredToken -= 1
            expired = true
        }
        if let value = faults.expiredTokenValue, request.securityToken == value { expired = true }
        if let burst { return error(burst.status, burst.code, "injected \(burst.status)") }
        if expired { return error(400, "ExpiredTokenException", "The security token included in the request is expired") }
        guard let document = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return error(400, "SerializationException", "request body is not JSON")
        }
        switch request.target {
        case Self.kinesisPrefix + "PutRecords": return putRecords(document)
        case Self.firehosePrefix + "PutRecordBatch": return putRecordBatch(document)
        case Self.kinesisPrefix + "DescribeStreamSummary": return describeStreamSummary(document)
        default: return describeDeliveryStream(document)
        }
    }

    // MARK: Operations

    private mutating func putRecords(_ request: [String: Any]) -> Answer {
        let stream = request["StreamName"] as? String ?? ""
        guard !stream.isEmpty else { return error(400, "ValidationException", "StreamName is required") }
        guard exists(stream) else {
            return error(400, "ResourceNotFoundException", "Stream \(stream) under account \(Self.account) not found.")
        }
        let checked = Self.validate(request["Records"], maxTotal: 5 * Self.mebibyte, maxRecord: Self.mebibyte, firehose: false)
        guard case .success(let decoded) = checked else { return invalid(checked) }
        let shards = self.shards
        let (results, failed) = accept(
            stream, decoded, failingCode: "ProvisionedThroughputExceededException",
            failingMessage: "Rate exceeded for shard shardId-000000000000 in stream \(stream) under account \(Self.account)."
        ) { sequence, key in
            ["SequenceNumber": "4959" + Self.padded(sequence, to: 52), "ShardId": "shardId-" + Self.padded(Self.shard(key, shards), to: 12)]
        }
        return ok(["FailedRecordCount": failed, "Records": results, "EncryptionType": "NONE"])
    }

    private mutating func putRecordBatch(_ request: [String: Any]) -> Answer {
        let stream = request["DeliveryStreamName"] as? String ?? ""
        guard exists(stream) else {
            return error(400, "ResourceNotFoundException", "Firehose \(stream) under account \(Self.account) not found.")
        }
        let checked = Self.validate(request["Records"], maxTotal: 4 * Self.mebibyte, maxRecord: 1000 * 1024, firehose: true)
        guard case .success(let decoded) = checked else { return invalid(checked) }
        let (results, failed) = accept(stream, decoded, failingCode: "ServiceUnavailableException", failingMessage: "Slow down.") {
            sequence, _ in ["RecordId": Self.padded(sequence, to: 64)]
        }
        return ok(["FailedPutCount": failed, "Encrypted": false, "RequestResponses": results])
    }

    private mutating func describeStreamSummary(_ request: [String: Any]) -> Answer {
        let stream = request["StreamName"] as? String ?? ""
        guard !stream.isEmpty, exists(stream) else {
            return error(400, "ResourceNotFoundException", "Stream \(stream) under account \(Self.account) not found.")
        }
        return ok([
            "StreamDescriptionSummary": [
                "StreamName": stream, "StreamARN": "arn:aws:kinesis:us-east-1:\(Self.account):stream/\(stream)",
                "StreamStatus": "ACTIVE", "StreamModeDetails": ["StreamMode": "PROVISIONED"], "RetentionPeriodHours": 24,
                "StreamCreationTimestamp": 1_700_000_000, "EnhancedMonitoring": [["ShardLevelMetrics": [String]()]],
                "EncryptionType": "NONE", "OpenShardCount": shards, "ConsumerCount": 0,
            ] as [String: Any]
        ])
    }

    private mutating func describeDeliveryStream(_ request: [String: Any]) -> Answer {
        let stream = request["DeliveryStreamName"] as? String ?? ""
        guard !stream.isEmpty, exists(stream) else {
            return error(400, "ResourceNotFoundException", "Firehose \(stream) under account \(Self.account) not found.")
        }
        return ok([
            "DeliveryStreamDescription": [
                "DeliveryStreamName": stream,
                "DeliveryStreamARN": "arn:aws:firehose:us-east-1:\(Self.account):deliverystream/\(stream)",
                "DeliveryStreamStatus": "ACTIVE", "DeliveryStreamType": "DirectPut", "VersionId": "1",
                "CreateTimestamp": 1_700_000_000, "Destinations": [[String: Any]](), "HasMoreDestinations": false,
            ] as [String: Any]
        ])
    }

    // MARK: Records

    private func exists(_ stream: String) -> Bool { faults.streams.isEmpty || faults.streams.contains(stream) }

    /// Fails each record with `failFraction`, keeps the others; returns the per-record results in request order.
    private mutating func accept(
        _ stream: String, _ decoded: [(data: [UInt8], key: String?)], failingCode: String, failingMessage: String,
        success: (Int, String?) -> [String: Any]
    ) -> (results: [[String: Any]], failed: Int) {
        var results: [[String: Any]] = []
        var failed = 0
        for (data, key) in decoded {
            if faults.failFraction > 0, Double(random.next() >> 11) / Double(1 << 53) < faults.failFraction {
                failed += 1
                results.append(["ErrorCode": failingCode, "ErrorMessage": failingMessage])
                stats.recordErrors[failingCode, default: 0] += 1
                continue
            }
            sequence += 1
            results.append(success(sequence, key))
            stats.bytesAccepted += data.count
            records.append(FakeKinesisEndpoint.Record(stream: stream, key: key, data: data))
        }
        let accepted = decoded.count - failed
        stats.perStream[stream, default: FakeKinesisEndpoint.StreamCounts()].accepted += accepted
        stats.perStream[stream, default: FakeKinesisEndpoint.StreamCounts()].failed += failed
        stats.recordsReceived += decoded.count
        stats.recordsAccepted += accepted
        stats.recordsFailed += failed
        stats.requestsLog.append(FakeKinesisEndpoint.RequestLogEntry(records: decoded.count, failed: failed))
        return (results, failed)
    }

    struct Invalid: Error {
        var code: String
        var message: String

        /// A ValidationException in the service's words.
        static func constraint(_ value: String, _ rule: String) -> Invalid {
            Invalid(
                code: "ValidationException",
                message: "1 validation error detected: Value \(value) failed to satisfy constraint: Member must \(rule)")
        }
    }

    /// The documented request limits: 1 to 500 records, each at most `maxRecord` bytes of data
    /// plus partition key, all together at most `maxTotal`; Kinesis keys of 1 to 256 characters.
    static func validate(_ value: Any?, maxTotal: Int, maxRecord: Int, firehose: Bool)
        -> Result<[(data: [UInt8], key: String?)], Invalid>
    {
        guard let list = value as? [Any], !list.isEmpty else {
            return .failure(.constraint("null at 'records'", "have length greater than or equal to 1"))
        }
        guard list.count <= 500 else {
            return .failure(.constraint("'[...]' at 'records'", "have length less than or equal to 500"))
        }
        var decoded: [(data: [UInt8], key: String?)] = []
        var total = 0
        for (index, item) in list.enumerated() {
            let record = item as? [String: Any] ?? [:]
            guard let data = Data(base64Encoded: record["Data"] as? String ?? "") else {
                return .failure(Invalid(code: "SerializationException", message: "record \(index): Data is not valid base64"))
            }
            let key = record["PartitionKey"] as? String
            if !firehose {
                guard let key, (1...256).contains(key.unicodeScalars.count) else {
                    return .failure(.constraint("at 'records.\(index + 1).member.partitionKey'", "have length between 1 and 256"))
                }
            }
            let size = data.count + (key?.utf8.count ?? 0)
            guard size <= maxRecord else {
                return .failure(.constraint("at 'records.\(index + 1).member.data'", "have length less than or equal to \(maxRecord)"))
            }
            total += size
            decoded.append((Array(data), key))
        }
        guard total <= maxTotal else {
            return .failure(Invalid(code: "InvalidArgumentException", message: "Records size exceeds \(maxTotal / mebibyte) MB limit"))
        }
        return .success(decoded)
    }

    // MARK: Answers

    private mutating func invalid(_ result: Result<[(data: [UInt8], key: String?)], Invalid>) -> Answer {
        guard case .failure(let invalid) = result else { preconditionFailure("not a failure") }
        return error(400, invalid.code, invalid.message)
    }

    private mutating func error(_ status: Int, _ code: String, _ message: String) -> Answer {
        stats.wholeRequestErrors[code, default: 0] += 1
        return .json(status: status, document: Self.encode(["__type": code, "message": message]), errorType: code, delay: .zero)
    }

    private func ok(_ document: [String: Any]) -> Answer {
        .json(status: 200, document: Self.encode(document), errorType: nil, delay: .zero)
    }

    private static func encode(_ document: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The shard of a partition key: Kinesis takes the MD5 of the key as a 128-bit hash key and
    /// the shard whose hash-key range holds it; with `shards` equal ranges that is the hash key's
    /// top 64 bits scaled to the shard count.
    static func shard(_ key: String?, _ shards: Int) -> Int {
        let digest = Array(Insecure.MD5.hash(data: Array((key ?? "").utf8)))
        let top = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(top.multipliedFullWidth(by: UInt64(shards)).high)
    }

    static func padded(_ value: Int, to width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
