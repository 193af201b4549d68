import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Logging
import RunnelConfig
import RunnelPipeline
import RunnelTestSupport
import Testing

@testable import RunnelApp
@testable import RunnelMonitor

/// fluent-plugin-prometheus' monitor inputs on a running runnel: Forward in -> a kinesis_streams
/// output whose endpoint refuses connections (so its chunk waits for a retry), a tail input with
/// a pos_file, and /metrics scraped over HTTP and parsed as the text exposition format.
@Suite(.serialized) struct PrometheusMonitorTests {
    @Test func fluentdMetricNamesLabelsAndValuesOnMetrics() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-prom-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (forwardPort, metricsPort, deadPort) = (try freePort(), try freePort(), try freePort())
        let log = work + "/app.log"
        try Data("one\ntwo\nthree\n".utf8).write(to: URL(fileURLWithPath: log))
        let config = work + "/runnel.conf"
        try Data(
            """
            <source>
              @type forward
              bind 127.0.0.1
              port \(forwardPort)
            </source>
            <source>
              @type tail
              @id in_tail_app
              path \(log)
              pos_file \(work)/app.pos
              read_from_head true
              tag app
              <parse>
                @type none
              </parse>
            </source>
            <source>
              @type prometheus
              bind 127.0.0.1
              port \(metricsPort)
            </source>
            <source>
              @type prometheus_monitor
              interval 0.2
              <labels>
                host ${hostname}
              </labels>
            </source>
            <source>
              @type prometheus_output_monitor
              interval 0.2
            </source>
            <source>
              @type prometheus_tail_monitor
              interval 0.2
            </source>
            <match app>
              @type null
            </match>
            <match test.**>
              @type kinesis_streams
              @id out_kinesis
              stream_name s
              region us-east-1
              endpoint http://127.0.0.1:\(deadPort)
              aws_key_id testing
              aws_sec_key testing
              <buffer>
                flush_mode interval
                flush_interval 0.2
                retry_wait 30
                chunk_limit_size 1k
                total_limit_size 2k
              </buffer>
            </match>
            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        let runnel = try TestProcess(Paths.runnel, ["-c", config, "--strict"], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(forwardPort), "\(runnel.log)")
        #expect(await waitForPort(metricsPort), "\(runnel.log)")

        // One Forward message (Forward mode) of 5 events, sent with msgpack from Python.
        let sent = try await TestProcess.run(
            "python3",
            [
                "-c",
                """
                import msgpack, socket, time
                s = socket.create_connection(("127.0.0.1", \(forwardPort)))
                s.sendall(msgpack.packb(["test.metrics", [[int(time.time()), {"n": i}] for i in range(5)]]))
                s.close()
                """,
            ])
        #expect(sent.status == 0, "\(sent.output)")

        let output = [("plugin_id", "out_kinesis"), ("type", "kinesis_streams")]
        let host = PrometheusMonitorConfiguration.localHostname()
        let status = [("host", host), ("plugin_id", "out_kinesis"), ("plugin_category", "output"), ("type", "kinesis_streams")]
        var samples: [MetricSample] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            samples = try await scrape(port: metricsPort)
            // Each monitor input samples on its own interval: wait until both have seen the retry.
            if (value(samples, "fluentd_output_status_retry_count", output) ?? 0) >= 1,
                (value(samples, "fluentd_status_retry_count", status) ?? 0) >= (value(samples, "fluentd_output_status_retry_count", output) ?? 1),
                value(samples, "fluentd_tail_file_position", [("plugin_id", "in_tail_app"), ("type", "tail"), ("path", log)]) == 14
            {
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }

        // prometheus_output_monitor: every metric of in_prometheus_output_monitor.rb, labels plugin_id and type.
        for name in [
            "fluentd_output_status_buffer_total_bytes", "fluentd_output_status_buffer_stage_length",
            "fluentd_output_status_buffer_stage_byte_size", "fluentd_output_status_buffer_queue_length",
            "fluentd_output_status_buffer_queue_byte_size", "fluentd_output_status_buffer_available_space_ratio",
            "fluentd_output_status_retry_count", "fluentd_output_status_num_errors", "fluentd_output_status_write_count",
            "fluentd_output_status_emit_count", "fluentd_output_status_emit_records", "fluentd_output_status_rollback_count",
            "fluentd_output_status_flush_time_count", "fluentd_output_status_slow_flush_count", "fluentd_output_status_retry_wait",
        ] {
            let found = samples.filter { $0.name == name && $0.labels.contains { $0 == ("plugin_id", "out_kinesis") } }
            #expect(found.count == 1, "\(name): \(found)\n\(runnel.log)")
            #expect(found.first.map { $0.labels.elementsEqual(output) { $0 == $1 } } == true, "\(name) labels: \(String(describing: found.first?.labels))")
            #expect(found.first?.type == "gauge", "\(name) type")  // gauge_all true (the default)
        }
        #expect(value(samples, "fluentd_output_status_emit_records", output) == 5)
        #expect(value(samples, "fluentd_output_status_emit_count", output) == 1)
        let retries = try #require(value(samples, "fluentd_output_status_retry_count", output))
        #expect(retries >= 1)
        #expect(value(samples, "fluentd_output_status_num_errors", output) == retries)
        #expect(value(samples, "fluentd_output_status_write_count", output) == retries)
        #expect(value(samples, "fluentd_output_status_rollback_count", output) == retries)
        #expect(value(samples, "fluentd_output_status_slow_flush_count", output) == 0)
        // The failed chunk waits in the queue for its retry (retry_wait 30 s with randomization).
        #expect(value(samples, "fluentd_output_status_buffer_queue_length", output) == 1)
        #expect(value(samples, "fluentd_output_status_buffer_stage_length", output) == 0)
        let queued = try #require(value(samples, "fluentd_output_status_buffer_queue_byte_size", output))
        #expect(queued > 0)
        #expect(value(samples, "fluentd_output_status_buffer_total_bytes", output) == queued)
        // Fluentd's buffer statistics: (1 - size / total_limit_size) * 100, rounded to one decimal.
        #expect(value(samples, "fluentd_output_status_buffer_available_space_ratio", output) == ((1 - queued / 2048) * 1000).rounded() / 10)
        let wait = try #require(value(samples, "fluentd_output_status_retry_wait", output))
        #expect(wait > 10 && wait < 40)

        // prometheus_monitor: plugin_category too, and the <labels> with ${hostname} expanded.
        #expect(value(samples, "fluentd_status_buffer_queue_length", status) == 1, "\(samples.filter { $0.name.hasPrefix("fluentd_status") })")
        #expect(value(samples, "fluentd_status_buffer_total_bytes", status) == queued)
        #expect(value(samples, "fluentd_status_retry_count", status).map { $0 >= retries } == true)

        // prometheus_tail_monitor: the pos_file's position and inode, labels plugin_id, type and path.
        let tail = [("plugin_id", "in_tail_app"), ("type", "tail"), ("path", log)]
        let inode = try #require((try FileManager.default.attributesOfItem(atPath: log))[.systemFileNumber] as? UInt64)
        #expect(value(samples, "fluentd_tail_file_position", tail) == 14)
        #expect(value(samples, "fluentd_tail_file_inode", tail) == Double(inode))
        // in_tail's counters under the same labels: one file opened, none closed, rotated or throttled yet.
        #expect(value(samples, "fluentd_tail_file_opened", tail) == 1)
        for name in ["fluentd_tail_file_closed", "fluentd_tail_file_rotated", "fluentd_tail_file_throttled"] {
            #expect(value(samples, name, tail) == 0, "\(name)")
        }

        // Runnel's own metrics stay beside them.
        #expect(samples.contains { $0.name.hasPrefix("runnel_buffer_") })
        // The same text at aggregated_metrics_path (one worker: nothing to aggregate).
        #expect(try await get(port: metricsPort, path: "/aggregated_metrics").contains("fluentd_output_status_emit_records"))
    }

    /// The daemonset's prometheus.conf and systemd.conf sections (fluentd-kubernetes-daemonset,
    /// templates/conf/prometheus.conf.erb and systemd.conf.erb) build with no unused parameter.
    @Test func theDaemonSetPrometheusAndSystemdSectionsLoadStrictly() throws {
        let text = """
            <source>
              @type prometheus
              @id in_prometheus
              bind "#{ENV['FLUENTD_PROMETHEUS_BIND'] || '0.0.0.0'}"
              port "#{ENV['FLUENTD_PROMETHEUS_PORT'] || '24231'}"
              metrics_path "#{ENV['FLUENTD_PROMETHEUS_PATH'] || '/metrics'}"
            </source>
            <source>
              @type prometheus_output_monitor
              @id in_prometheus_output_monitor
            </source>
            <source>
              @type systemd
              @id in_systemd_kubelet
              matches [{ "_SYSTEMD_UNIT": "kubelet.service" }]
              <storage>
                @type local
                persistent true
                path /var/log/fluentd-journald-kubelet-cursor.json
              </storage>
              read_from_head true
              tag kubelet
            </source>
            <match **>
              @type null
            </match>
            """
        let root = try ConfigParser.parse(text: text, file: "fluent.conf", environment: [:])
        let pipeline = try PipelineBuilder(registry: PluginCatalog.registry(), logger: Logger(label: "test")).build(root)
        #expect(pipeline.inputs.map(\.type) == ["prometheus", "prometheus_output_monitor", "systemd"])
        #expect(pipeline.unusedParameters.isEmpty, "\(pipeline.unusedParameters.map(\.parameter.key))")
        try RunnelConfiguration.reportUnused(pipeline, strict: true, logger: Logger(label: "test"))
    }

    func scrape(port: Int) async throws -> [MetricSample] {
        try MetricSample.parse(try await get(port: port, path: "/metrics"))
    }

    func get(port: Int, path: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return String(decoding: data, as: UTF8.self)
    }

    func value(_ samples: [MetricSample], _ name: String, _ labels: [(String, String)]) -> Double? {
        samples.first { $0.name == name && $0.labels.elementsEqual(labels) { $0 == $1 } }?.value
    }
}

/// One sample of the Prometheus text exposition format (version 0.0.4), with its family's TYPE.
struct MetricSample: CustomStringConvertible {
    var name: String
    var labels: [(String, String)]
    var value: Double
    var type: String?

    var description: String { "\(name)\(labels) \(value) (\(type ?? "untyped"))" }

    struct Malformed: Error { var line: String }

    /// Parses the format: `# TYPE name type`, `# HELP ...`, and `name{label="value",...} value [timestamp]`
    /// with `\\`, `\"` and `\n` escapes in label values.
    static func parse(_ text: String) throws -> [MetricSample] {
        var types: [String: String] = [:]
        var samples: [MetricSample] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count == 4, parts[1] == "TYPE" { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            var characters = Substring(line)
            let name = String(characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
            guard !name.isEmpty else { throw Malformed(line: String(line)) }
            characters = characters.dropFirst(name.count)
            var labels: [(String, String)] = []
            if characters.first == "{" {
                characters = characters.dropFirst()
                while characters.first != "}" {
                    let labelName = String(characters.prefix { $0 != "=" })
                    characters = characters.dropFirst(labelName.count)
                    guard characters.hasPrefix("=\"") else { throw Malformed(line: String(line)) }
                    characters = characters.dropFirst(2)
                    var value = ""
                    while let c = characters.first, c != "\"" {
                        characters = characters.dropFirst()
                        if c == "\\", let escaped = characters.first {
                            characters = characters.dropFirst()
                            value.append(escaped == "n" ? "\n" : escaped)
                        } else {
                            value.append(c)
                        }
                    }
                    guard characters.first == "\"" else { throw Malformed(line: String(line)) }
                    characters = characters.dropFirst()
                    if characters.first == "," { characters = characters.dropFirst() }
                    labels.append((labelName, value))
                }
                characters = characters.dropFirst()
            }
            let fields = characters.split(separator: " ")
            guard let first = fields.first, let value = Double(first == "+Inf" ? "inf" : first == "-Inf" ? "-inf" : String(first)) else {
                throw Malformed(line: String(line))
            }
            let family =
                types[name] != nil
                ? name
                : ["_bucket", "_sum", "_count", "_total"].lazy
                    .compactMap { suffix in name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : nil }.first ?? name
            samples.append(MetricSample(name: name, labels: labels, value: value, type: types[name] ?? types[family]))
        }
        return samples
    }
}
