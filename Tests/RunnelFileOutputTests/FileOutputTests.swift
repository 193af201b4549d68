import Foundation
import Logging
import RunnelBuffer
import RunnelCompression
import RunnelConfig
import RunnelCore
import RunnelPipeline
import Testing

@testable import RunnelFileOutput

/// out_file with Fluentd's names, defaults and path rules (lib/fluent/plugin/out_file.rb).
@Suite struct FileOutputTests {
    /// `generate_path_template`'s documented cases (the comment above it in out_file.rb) and its errors.
    @Test(arguments: [
        ("/dir/file.*", 86400, false, false, "/dir/file.%Y%m%d_**"),
        ("/dir/file.*.data", 86400, false, false, "/dir/file.%Y%m%d_**.data"),
        ("/dir/file", 86400, false, false, "/dir/file.%Y%m%d_**.log"),
        ("/dir/file", 86400, true, false, "/dir/file.%Y%m%d.log"),
        ("/dir/file", 86400, false, true, "/dir/file.%Y%m%d_**.log.gz"),
        ("/dir/file", 3600, false, false, "/dir/file.%Y%m%d%H_**.log"),
        ("/dir/file", 60, true, false, "/dir/file.%Y%m%d%H%M.log"),
        ("/dir/file", 1, true, false, "/dir/file.%Y%m%d%H%M%S.log"),
        ("/dir/%Y/%m/%d/file", 86400, false, false, "/dir/%Y/%m/%d/file_**.log"),
    ])
    func pathTemplates(path: String, timekey: Int, append: Bool, gzip: Bool, expected: String) throws {
        #expect(try FileOutputPath.template(path, timekey: timekey, append: append, gzip: gzip, pathSuffix: ".log") == expected)
    }

    @Test func pathTemplateErrors() {
        #expect(throws: FileOutputError.starWithoutTime) { try FileOutputPath.template("/d/f.*", timekey: nil, append: false, gzip: false, pathSuffix: ".log") }
        #expect(throws: FileOutputError.insufficientTimePlaceholders("%Y%m%d")) {
            try FileOutputPath.template("/d/%Y/f", timekey: 86400, append: false, gzip: false, pathSuffix: ".log")
        }
    }

    /// out_file.rb: add_path_suffix true, path_suffix ".log", append false, compress text, the
    /// out_file formatter, and a <buffer> of @type file cut by `time` with timekey 1d (DEFAULT_TIMEKEY).
    @Test func defaultsAreOutFiles() throws {
        let configuration = try FileOutputConfiguration(from: ConfigElement("match", "**", ["@type": "file", "path": "/x/app"]))
        #expect(configuration.addPathSuffix && configuration.pathSuffix == ".log" && !configuration.append)
        #expect(configuration.compress == .text && configuration.format.kind == .outFile && configuration.inject == nil)
        let plugin = try FileOutputPlugin(Self.context(ConfigElement("match", "**", ["@type": "file", "path": "/x/app"])))
        #expect(plugin.buffered.configuration.type == .file)
        #expect(plugin.buffered.configuration.chunkKeys.time?.period == 86400 && !plugin.buffered.configuration.chunkKeys.tag)
        #expect(plugin.buffered.configuration.path == "/x/app")
        #expect(throws: ConfigError.self) {
            try FileOutputConfiguration(from: ConfigElement("match", "**", ["path": "/x", "symlink_path": "/x/current"]))
        }
        #expect(throws: ConfigError.self) { try FileOutputConfiguration(from: ConfigElement("match", "**", ["path": "/x", "compress": "zstd"])) }
    }

    /// Events of several tags in one day's chunk: each line has its own tag, as Fluentd formats
    /// when it writes to the buffer; every flush writes a new `_N` file.
    @Test func linesKeepTheirTagsAndEachFlushWritesANewFile() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let element = ConfigElement(
            "match", "**", ["@type": "file", "path": directory + "/out/app"],
            children: [
                ConfigElement("buffer", "time", ["path": directory + "/buffer", "timekey_use_utc": "true"]),
                ConfigElement("format", "", ["@type": "out_file", "utc": "true"]),
            ])
        let plugin = try FileOutputPlugin(Self.context(element))
        try await plugin.emit(Self.stream(tag: "web.a", seqs: [1, 2]))
        try await plugin.emit(Self.stream(tag: "web.b", seqs: [3]))
        await plugin.flushNow()
        try await plugin.emit(Self.stream(tag: "web.c", seqs: [4]))
        await plugin.flushNow()
        let first = try String(contentsOfFile: directory + "/out/app.20231114_0.log", encoding: .utf8)
        #expect(
            first == """
                2023-11-14T22:13:20+0000\tweb.a\t{"seq":1}
                2023-11-14T22:13:20+0000\tweb.a\t{"seq":2}
                2023-11-14T22:13:20+0000\tweb.b\t{"seq":3}

                """)
        let second = try String(contentsOfFile: directory + "/out/app.20231114_1.log", encoding: .utf8)
        #expect(second == "2023-11-14T22:13:20+0000\tweb.c\t{\"seq\":4}\n")
    }

    @Test func appendAndGzipWriteOneFileOfMembers() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let element = ConfigElement(
            "match", "**",
            [
                "@type": "file", "path": directory + "/logs/${tag}/%Y%m%d", "append": "true", "compress": "gzip",
            ],
            children: [
                ConfigElement("buffer", "tag,time", ["@type": "memory", "timekey": "1d", "timekey_use_utc": "true"]),
                ConfigElement("format", "", ["@type": "json"]),
            ])
        let plugin = try FileOutputPlugin(Self.context(element))
        try await plugin.emit(Self.stream(tag: "api", seqs: [1]))
        await plugin.flushNow()
        try await plugin.emit(Self.stream(tag: "api", seqs: [2]))
        await plugin.flushNow()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/logs/api/20231114.log.gz")))
        #expect(String(decoding: try Zlib.decompressGzip(bytes), as: UTF8.self) == "{\"seq\":1}\n{\"seq\":2}\n")
    }

    /// `<secondary> @type file`: a chunk the primary cannot deliver goes to the file, formatted by
    /// the secondary's <format>, with the primary's tag chunk key.
    @Test func asSecondaryItTakesTheChunksThePrimaryCannotDeliver() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let element = ConfigElement(
            "match", "**", ["@type": "test"],
            children: [
                ConfigElement("buffer", "tag", ["retry_max_times": "0"]),
                ConfigElement(
                    "secondary", "", ["@type": "file", "path": directory + "/failed/${tag}", "append": "true"],
                    children: [
                        ConfigElement("format", "", ["@type": "single_value", "message_key": "message"])
                    ]),
            ])
        let primary = try BufferedOutput(name: "primary", element: element, sender: Refusing(), context: Self.context(element))
        var builder = EventStreamBuilder(tag: "orders")
        builder.append(time: EventTime(seconds: 1_700_000_000), record: .record(["message": "order 7 failed"]))
        try await primary.emit(builder.build())
        await primary.flushNow()  // refused: the chunk is handed to <secondary> for its next try
        #expect(!FileManager.default.fileExists(atPath: directory + "/failed/orders.log"))
        await primary.flushNow()
        #expect(primary.status.queueLength == 0)
        let written = try String(contentsOfFile: directory + "/failed/orders.log", encoding: .utf8)
        #expect(written == "order 7 failed\n")
    }

    // MARK: helpers

    struct Refusing: ChunkSender {
        func send(_ chunk: ChunkToSend) async -> DeliveryResult { .rejected(DeliveryError("refused")) }
    }

    struct Discard: EventSink {
        func emit(_ stream: EventStream) async throws {}
    }

    static func context(_ element: ConfigElement) -> PluginContext {
        var logger = Logger(label: "file-output-test")
        logger.logLevel = .critical
        return PluginContext(
            element: element, logger: logger, router: Discard(), labelRouter: { _ in nil },
            makeOutput: { section in try FileOutputPlugin.make(context(section)) }, system: SystemConfiguration())
    }

    static func stream(tag: String, seqs: [Int]) -> EventStream {
        var builder = EventStreamBuilder(tag: tag)
        for seq in seqs { builder.append(time: EventTime(seconds: 1_700_000_000), record: .record(["seq": .int(Int64(seq))])) }
        return builder.build()
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "runnel-out-file-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
