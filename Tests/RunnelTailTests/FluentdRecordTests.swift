import Foundation
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelTestSupport
import Testing
@testable import RunnelTail

/// Real files, tailed as the fluentd-kubernetes-daemonset configuration tails them
/// (docker-image/v1.19/debian-kinesis/conf/kubernetes/*.conf), and the records Fluentd makes of them.
@Suite(.serialized)
struct FluentdRecordTests {
    /// Tails `path` with a `<source>` built from `parameters` and its `<parse>`, until `count` events.
    func tail(
        _ dir: TemporaryDirectory, _ parameters: KeyValuePairs<String, String>, parse: KeyValuePairs<String, String>,
        count: Int
    ) async throws -> (tags: [String], records: [MessagePackValue], times: [EventTime]) {
        var pairs = Array(parameters.map { ($0.key, $0.value) })
        pairs.append(("pos_file", dir.path + "/\(UUID().uuidString).pos"))
        pairs.append(("read_from_head", "true"))
        pairs.append(("refresh_interval", "0.1"))
        pairs.append(("watch_interval", "0.05"))
        let parseSection = ConfigElement("parse", "", parse)
        let source = ConfigElement(
            name: "source", parameters: pairs.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) },
            children: [parseSection])
        let configuration = try TailInputConfiguration(source)
        let parser = try ParserRegistry.makeParser(pluginSection: source)
        let sink = CollectingSink()
        let running = RunningTail(configuration, sink: sink, parser: ParserBox(parser: parser))
        let deadline = Date().addingTimeInterval(20)
        while sink.count < count, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await running.passCompleted()
        try await running.stop()
        let events = sink.events.withLock { $0 }
        return (events.map(\.tag), events.map(\.record), sink.times.withLock { $0 })
    }

    static let containerID = String(repeating: "0123456789abcdef", count: 4)

    /// Docker's json-file driver, read with the image's default container parse section
    /// (tail_container_parse.conf: `@type json`, `time_format %Y-%m-%dT%H:%M:%S.%NZ`): parser_json.rb
    /// removes `time` (keep_time_key false) and keeps `log` with its newline.
    @Test func dockerJSONContainerLog() async throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/containers", withIntermediateDirectories: true)
        let log = dir.path + "/containers/web-1_shop_nginx-\(FluentdRecordTests.containerID).log"
        try append(
            #"""
            {"log":"GET / 200\n","stream":"stdout","time":"2023-11-14T22:13:20.123456789Z"}
            {"log":"oops\n","stream":"stderr","time":"2023-11-14T22:13:21.5Z"}

            """#, to: log)
        let r = try await tail(
            dir, ["path": dir.path + "/containers/*.log", "tag": "kubernetes.*"],
            parse: ["@type": "json", "time_format": "%Y-%m-%dT%H:%M:%S.%NZ", "utc": "true"], count: 2)
        #expect(r.records == [.record(["log": "GET / 200\n", "stream": "stdout"]), .record(["log": "oops\n", "stream": "stderr"])])
        #expect(r.times == [EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789), EventTime(seconds: 1_700_000_001, nanoseconds: 500_000_000)])
        // in_tail's tag: `kubernetes.*` with the path's `/` as `.`.
        #expect(r.tags.first == "kubernetes" + log.replacingOccurrences(of: "/", with: "."))
    }

    /// containerd's CRI log, read with fluent-plugin-parser-cri (parser_cri.rb): `stream`, `logtag`,
    /// `message`, and the time text kept under `time` (`keep_time_key` defaults to true there).
    @Test func criContainerLog() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/web-1_shop_nginx-\(FluentdRecordTests.containerID).log"
        try append("2023-11-14T22:13:20.123456789Z stdout F GET / 200\n2023-11-14T22:13:21.000000001+00:00 stderr F oops\n", to: log)
        let r = try await tail(dir, ["path": log, "tag": "kubernetes.*"], parse: ["@type": "cri"], count: 2)
        #expect(
            r.records == [
                .record(["stream": "stdout", "logtag": "F", "message": "GET / 200", "time": "2023-11-14T22:13:20.123456789Z"]),
                .record(["stream": "stderr", "logtag": "F", "message": "oops", "time": "2023-11-14T22:13:21.000000001+00:00"]),
            ])
        #expect(r.times == [EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789), EventTime(seconds: 1_700_000_001, nanoseconds: 1)])
    }

    /// kubernetes/docker.conf's regexp: groups that did not take part (`error` here) are left out
    /// (parser_regexp.rb `if value = m[name]`); `$<status_code>` is no named group.
    @Test func dockerDaemonLog() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/docker.log"
        try append(
            #"""
            time="2023-11-14T22:13:20.000000000Z" level=info msg="Loading containers: start."
            time="2023-11-14T22:13:21Z" level=error msg="Handler for GET failed" err="no such container"

            """#, to: log)
        let expression =
            #"/^time="(?<time>[^)]*)" level=(?<severity>[^ ]*) msg="(?<message>[^"]*)"( err="(?<error>[^"]*)")?( statusCode=($<status_code>\d+))?/"#
        let r = try await tail(dir, ["path": log, "tag": "docker"], parse: ["@type": "regexp", "expression": expression], count: 2)
        #expect(
            r.records == [
                .record(["severity": "info", "message": "Loading containers: start."]),
                .record(["severity": "error", "message": "Handler for GET failed", "error": "no such container"]),
            ])
        #expect(r.times == [EventTime(seconds: 1_700_000_000), EventTime(seconds: 1_700_000_001)])
    }

    /// kubernetes/kubelet.conf: `@type kubernetes`, the image's parser_kubernetes.rb (a RegexpParser,
    /// one line per event; `%m%d %H:%M:%S.%N` has no year, so the current one).
    @Test func kubeletGlogLog() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/kubelet.log"
        try append(
            "I1114 22:13:20.123456    1234 kubelet.go:1234] Started kubelet\nE1114 22:13:21.000001    1234 pod_workers.go:190] Error syncing pod\nnot glog\n",
            to: log)
        let r = try await tail(
            dir, ["path": log, "tag": "kubelet", "multiline_flush_interval": "5s"],
            parse: ["@type": "kubernetes", "utc": "true"], count: 2)
        #expect(
            r.records == [
                .record(["severity": "I", "pid": "1234", "source": "kubelet.go:1234", "message": "Started kubelet"]),
                .record(["severity": "E", "pid": "1234", "source": "pod_workers.go:190", "message": "Error syncing pod"]),
            ])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let year = calendar.component(.year, from: Date())
        let start = calendar.date(from: DateComponents(year: year, month: 11, day: 14, hour: 22, minute: 13, second: 20))!
        #expect(r.times.first == EventTime(seconds: UInt32(start.timeIntervalSince1970), nanoseconds: 123_456_000))
    }

    /// in_tail.rb: `record[@path_key] ||= tail_watcher.path`: a record's own field stays.
    @Test func pathKeyKeepsTheRecordsOwnValue() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try append(#"{"path":"/mine","m":1}"# + "\n" + #"{"m":2}"# + "\n" + #"{"path":null,"m":3}"# + "\n", to: log)
        let r = try await tail(dir, ["path": log, "tag": "app", "path_key": "path"], parse: ["@type": "json"], count: 3)
        #expect(
            r.records == [
                .record(["path": "/mine", "m": 1]), .record(["m": 2, "path": .string(log)]), .record(["path": .string(log), "m": 3]),
            ])
    }

    /// in_tail.rb expand_paths → Dir.glob: `**/` is zero or more directories.
    @Test func doubleStarIsRecursive() async throws {
        let dir = try TemporaryDirectory()
        for sub in ["", "/a", "/a/b", "/.hidden"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/logs" + sub, withIntermediateDirectories: true)
            try append("line\n", to: dir.path + "/logs" + sub + "/x.log")
        }
        try append("line\n", to: dir.path + "/logs/a/skip.txt")
        #expect(
            RubyGlob.expand(dir.path + "/logs/**/*.log") == [
                dir.path + "/logs/a/b/x.log", dir.path + "/logs/a/x.log", dir.path + "/logs/x.log",
            ])
        #expect(RubyGlob.expand(dir.path + "/logs/{a,a/b}/*.log") == [dir.path + "/logs/a/b/x.log", dir.path + "/logs/a/x.log"])
        let r = try await tail(
            dir,
            [
                "path": dir.path + "/logs/**/*.log", "tag": "t", "path_key": "p",
                "exclude_path": #"[""# + dir.path + #"/logs/a/*.log"]"#,
            ], parse: ["@type": "none"], count: 2)
        #expect(Set(r.records.compactMap { $0["p"]?.stringValue }) == [dir.path + "/logs/a/b/x.log", dir.path + "/logs/x.log"])
    }
}

struct PathExpanderTests {
    /// in_tail.rb use_glob?: with the default glob_policy only a path with `*` is a pattern.
    @Test func globPolicyDecidesWhatIsAPattern() throws {
        let dir = try TemporaryDirectory()
        try append("x\n", to: dir.path + "/a1.log")
        try append("x\n", to: dir.path + "/a?.log")
        let literal = PathExpander(patterns: [dir.path + "/a?.log"], excludes: [])
        #expect(literal.expand(nowSeconds: 0) == [dir.path + "/a?.log"])
        let extended = PathExpander(patterns: [dir.path + "/a?.log"], excludes: [], globPolicy: .extended)
        #expect(extended.expand(nowSeconds: 0) == [dir.path + "/a1.log", dir.path + "/a?.log"])
        #expect(throws: ConfigError.self) {
            try TailInputConfiguration(ConfigElement("source", "", ["path": "/x", "tag": "t", "glob_policy": "always"]))
        }
        let split = try TailInputConfiguration(ConfigElement("source", "", ["path": "/a|/b|/a", "tag": "t", "path_delimiter": "|"]))
        #expect(split.paths == ["/a", "/b"])
    }

    @Test func limitRecentlyModifiedAndPathTimezone() throws {
        let dir = try TemporaryDirectory()
        try append("x\n", to: dir.path + "/old.log")
        try append("x\n", to: dir.path + "/new.log")
        let old = Date().addingTimeInterval(-3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir.path + "/old.log")
        let now = Int(Date().timeIntervalSince1970)
        let expander = PathExpander(patterns: [dir.path + "/*.log"], excludes: [], limitRecentlyModified: 60)
        #expect(expander.expand(nowSeconds: now) == [dir.path + "/new.log"])
        // 1700000000 is 2023-11-14 22:13:20 UTC, 2023-11-15 07:13:20 at +09:00.
        #expect(PathExpander.expandTime("/l/%Y%m%d-%H.log", nowSeconds: 1_700_000_000, offsetSeconds: 9 * 3600) == "/l/20231115-07.log")
    }
}
