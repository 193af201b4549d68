import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelBuffer

@Suite struct BufferConfigurationTests {
    @Test func memoryDefaultsAreFluentds() throws {
        let configuration = try BufferConfiguration(element: nil, defaultType: .memory, pluginName: "out", rootDirectory: nil)
        #expect(configuration.chunkLimitSize == 8 * 1024 * 1024)
        #expect(configuration.totalLimitSize == 512 * 1024 * 1024)
        #expect(configuration.flushAtShutdown)
        #expect(configuration.effectiveFlushMode == .interval)
        #expect(configuration.flushInterval == 60)
        #expect(configuration.flushThreadCount == 1)
        #expect(configuration.chunkFullThreshold == 0.95)
        #expect(configuration.overflowAction == .throwException)
        #expect(configuration.retry == RetryPolicy())
        #expect(configuration.retry.timeout == 72 * 3600)
        #expect(configuration.retry.secondaryThreshold == 0.8)
        #expect(!configuration.durable)
    }

    @Test func fileDefaultsAreFluentds() throws {
        let element = ConfigElement("buffer", "", ["@type": "file", "path": "/var/log/runnel/buf"])
        let configuration = try BufferConfiguration(element: element, defaultType: .memory, pluginName: "out", rootDirectory: nil)
        #expect(configuration.type == .file)
        #expect(configuration.chunkLimitSize == 256 * 1024 * 1024)
        #expect(configuration.totalLimitSize == 64 * 1024 * 1024 * 1024)
        #expect(!configuration.flushAtShutdown)
        #expect(configuration.pathSuffix == ".log")
        #expect(configuration.chunkKeys == ChunkKeys(tag: false))
    }

    /// Fluentd's buf_file without `path` uses the plugin's root directory, root_dir/worker0/<@id>/buffer
    /// (lib/fluent/plugin_id.rb plugin_root_dir), which exists only with both root_dir and @id;
    /// otherwise "buffer path is not configured" (lib/fluent/plugin/buf_file.rb).
    @Test func fileWithoutPathUsesThePluginRootDirectory() throws {
        let element = ConfigElement("buffer", "tag", ["@type": "file"])
        let configuration = try BufferConfiguration(
            element: element, defaultType: .memory, pluginName: "out_kinesis", explicitID: "out_kinesis", rootDirectory: "/var/lib/runnel")
        #expect(configuration.path == "/var/lib/runnel/worker0/out_kinesis/buffer")
        #expect(throws: ConfigError.self) {
            try BufferConfiguration(element: element, defaultType: .memory, pluginName: "kinesis_streams.0", rootDirectory: "/var/lib/runnel")
        }
        #expect(throws: ConfigError.self) {
            try BufferConfiguration(element: element, defaultType: .memory, pluginName: "out_kinesis", explicitID: "out_kinesis", rootDirectory: nil)
        }
    }

    @Test func everyParameterIsRead() throws {
        let element = ConfigElement(
            "buffer", "tag,time,$.kubernetes.namespace_name",
            [
                "@type": "memory", "timekey": "1h", "timekey_wait": "30s", "timekey_use_utc": "true",
                "chunk_limit_size": "1m", "chunk_limit_records": "500", "total_limit_size": "64m",
                "chunk_full_threshold": "0.9", "flush_mode": "immediate", "flush_interval": "5s",
                "flush_thread_count": "4", "flush_thread_interval": "0.5", "flush_thread_burst_interval": "0.2",
                "flush_at_shutdown": "false", "overflow_action": "block", "retry_type": "periodic", "retry_wait": "2s",
                "retry_exponential_backoff_base": "3", "retry_max_interval": "30s", "retry_randomize": "false",
                "retry_timeout": "1h", "retry_max_times": "17", "retry_forever": "true", "retry_secondary_threshold": "0.5",
                "durable": "true", "delayed_commit_timeout": "10s",
            ])
        let c = try BufferConfiguration(element: element, defaultType: .file, pluginName: "out", rootDirectory: nil)
        #expect(c.chunkKeys.tag)
        #expect(c.chunkKeys.time == ChunkKeys.TimeKey(period: 3600, wait: 30, useUTC: true))
        #expect(c.chunkKeys.recordKeys == ["$.kubernetes.namespace_name"])
        #expect(c.chunkLimitSize == 1 << 20 && c.chunkLimitRecords == 500 && c.totalLimitSize == 64 << 20)
        #expect(c.chunkFullThreshold == 0.9 && c.flushMode == .immediate && c.flushInterval == 5)
        #expect(c.flushThreadCount == 4 && c.flushThreadInterval == 0.5 && c.flushThreadBurstInterval == 0.2)
        #expect(!c.flushAtShutdown && c.overflowAction == .block && c.durable)
        #expect(c.retry.type == .periodic && c.retry.wait == 2 && c.retry.backoffBase == 3 && c.retry.maxInterval == 30)
        #expect(!c.retry.randomize && c.retry.timeout == 3600 && c.retry.maxTimes == 17 && c.retry.forever)
        #expect(c.retry.secondaryThreshold == 0.5)
        #expect(element.unusedParameters.isEmpty)
    }

    @Test func flushModeDefaultIsLazyWithTimeKey() throws {
        let element = ConfigElement("buffer", "time", ["timekey": "60"])
        let configuration = try BufferConfiguration(element: element, defaultType: .memory, pluginName: "out", rootDirectory: nil)
        #expect(configuration.effectiveFlushMode == .lazy)
    }

    @Test func queueLimitLengthSetsTheTotal() throws {
        let element = ConfigElement("buffer", "", ["chunk_limit_size": "1m", "queue_limit_length": "8"])
        let configuration = try BufferConfiguration(element: element, defaultType: .memory, pluginName: "out", rootDirectory: nil)
        #expect(configuration.effectiveTotalLimit == 8 << 20)
    }

    @Test(arguments: [
        ["overflow_action": "explode"], ["retry_secondary_threshold": "1.5"], ["flush_thread_count": "0"],
        ["chunk_limit_size": "1g", "total_limit_size": "1m"], ["file_permission": "999"],
    ])
    func wrongValuesAreErrors(parameters: [String: String]) {
        let element = ConfigElement(
            name: "buffer", parameters: parameters.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) })
        #expect(throws: ConfigError.self) {
            try BufferConfiguration(element: element, defaultType: .memory, pluginName: "out", rootDirectory: nil)
        }
    }

    @Test func timeKeyNeedsTimekey() {
        #expect(throws: ConfigError.self) {
            try BufferConfiguration(element: ConfigElement("buffer", "time", [:]), defaultType: .memory, pluginName: "o", rootDirectory: nil)
        }
    }
}

@Suite struct PlaceholderTests {
    let metadata = ChunkMetadata(
        tag: "kube.var.log.app", timekey: 1_700_000_000 - 1_700_000_000 % 3600,
        variables: ["namespace": "prod", "$.kubernetes.pod_name": "web-1"], utcOffset: 0)

    @Test(arguments: [
        ("${tag}", "kube.var.log.app"), ("${tag[0]}-${tag[1]}", "kube-var"), ("${tag[-1]}", "app"),
        ("logs-${namespace}", "logs-prod"), ("${$.kubernetes.pod_name}", "web-1"),
        ("s3/%Y/%m/%d/%H", "s3/2023/11/14/22"), ("plain", "plain"), ("${missing}", "${missing}"),
        ("${tag[9]}", "${tag[9]}"),
    ])
    func expands(template: String, expected: String) {
        #expect(metadata.expand(template) == expected)
    }

    @Test func zoneOffsetShiftsStrftime() {
        var shifted = metadata
        shifted.utcOffset = 9 * 3600
        #expect(shifted.expand("%Y%m%d%H") == "2023111507")
    }

    @Test func validationNamesUnsupportedPlaceholders() {
        let keys = ChunkKeys(tag: true, recordKeys: ["namespace"])
        #expect(keys.unsupportedPlaceholders(in: "${tag}-${namespace}").isEmpty)
        #expect(keys.unsupportedPlaceholders(in: "${pod}-%Y") == ["${pod}", "%Y"])
        #expect(ChunkKeys(tag: false).unsupportedPlaceholders(in: "${tag[1]}") == ["${tag[1]}"])
        #expect(throws: BufferError.self) { try keys.validate(template: "stream-${pod}", parameter: "stream_name") }
    }
}

@Suite struct ChunkKeysTests {
    @Test func splitsByRecordKeyAndTimeKeepingOrder() throws {
        var builder = EventStreamBuilder(tag: "app")
        let rows: [(UInt32, String, Int)] = [(0, "a", 1), (10, "b", 2), (3700, "a", 3), (20, "a", 4), (3600, "b", 5)]
        for (time, ns, seq) in rows {
            builder.append(
                time: EventTime(seconds: 1_700_006_400 + time),
                record: .record(["k": .record(["ns": .string(ns)]), "seq": .uint(UInt64(seq))]))
        }
        let keys = ChunkKeys(tag: true, time: .init(period: 3600, useUTC: true), recordKeys: ["$.k.ns"])
        let parts = try keys.split(builder.build())
        #expect(parts.map(\.count) == [2, 1, 1, 1])
        #expect(try parts.map { try seqs(of: $0.entries) } == [[1, 4], [2], [3], [5]])
        #expect(parts[0].metadata == ChunkMetadata(tag: "app", timekey: 1_700_006_400, variables: ["$.k.ns": "a"], utcOffset: 0))
        #expect(parts[2].metadata.timekey == 1_700_010_000)
    }

    @Test func tagOnlyKeepsTheStreamWhole() throws {
        let stream = makeStream(seqs: 0..<10)
        let parts = try ChunkKeys(tag: true).split(stream)
        #expect(parts.count == 1 && parts[0].entries == stream.entries && parts[0].metadata.tag == "app.test")
    }

    /// Fluentd reads record chunk keys with its record accessor: `$.a.b`, `$['a']['b']` and
    /// `$["a"]["b"]` name the same field (plugin/output.rb `chunk_key_accessors`).
    @Test(arguments: [#"$.k.ns"#, #"$['k']['ns']"#, #"$["k"]["ns"]"#, #"$.k['ns']"#])
    func recordAccessorSyntaxes(key: String) throws {
        var builder = EventStreamBuilder(tag: "t")
        builder.append(time: EventTime(seconds: 1), record: .record(["k": .record(["ns": "a"])]))
        builder.append(time: EventTime(seconds: 1), record: .record(["k": .record(["ns": "b"])]))
        let parsed = ChunkKeys.parse(key)
        #expect(parsed.invalid.isEmpty && parsed.keys.recordKeys == [key])
        let parts = try parsed.keys.split(builder.build())
        #expect(parts.map { $0.metadata.variables[key] } == ["a", "b"])
    }

    @Test(arguments: [#"$."#, #"$['k'"#, #"$[k]"#])
    func malformedAccessorsAreInvalidKeys(key: String) {
        #expect(ChunkKeys.parse(key).invalid == [key])
    }

    @Test func zoneOffsetIsWrittenByPercentZ() {
        let metadata = ChunkMetadata(tag: "t", timekey: 1_700_000_000, utcOffset: 9 * 3600)
        #expect(metadata.expand("%Y%m%dT%H%M%z") == "20231115T0713+0900")
    }

    @Test func missingAndNonStringValues() throws {
        var builder = EventStreamBuilder(tag: "t")
        builder.append(time: EventTime(seconds: 1), record: .record(["n": .uint(7)]))
        builder.append(time: EventTime(seconds: 1), record: .record(["other": "x"]))
        let parts = try ChunkKeys(tag: false, recordKeys: ["n"]).split(builder.build())
        #expect(parts.map { $0.metadata.variables["n"] } == ["7", ""])
    }
}
