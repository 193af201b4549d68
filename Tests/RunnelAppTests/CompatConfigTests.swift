import Foundation
import RunnelTestSupport
import Testing

/// The official fluentd-kubernetes-daemonset `debian-kinesis` image's configuration, unchanged
/// (`../shared/compat/fluentd-kubernetes-daemonset-kinesis/`, as CI lays `shared/` beside the clone).
@Suite(.serialized) struct CompatConfigTests {
    static let directory = Paths.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/compat/fluentd-kubernetes-daemonset-kinesis")
    static var present: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent("fluent.conf").path) }

    /// Every variable the configuration reads (`grep -o "ENV[^)]*" -r`), and the ones Kubernetes sets in a pod.
    static let variables = [
        "FLUENTD_SYSTEMD_CONF", "FLUENTD_PROMETHEUS_CONF", "FLUENT_KINESIS_STREAMS_REGION",
        "FLUENT_KINESIS_STREAMS_STREAM_NAME", "FLUENT_KINESIS_STREAMS_INCLUDE_TIME_KEY",
        "FLUENT_KINESIS_STREAMS_CHUNK_LIMIT_SIZE", "FLUENTD_PROMETHEUS_BIND", "FLUENTD_PROMETHEUS_PORT",
        "FLUENTD_PROMETHEUS_PATH", "FLUENT_FILTER_KUBERNETES_URL", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT",
        "KUBERNETES_VERIFY_SSL", "KUBERNETES_CA_FILE", "FLUENT_KUBERNETES_METADATA_SKIP_LABELS",
        "FLUENT_KUBERNETES_METADATA_SKIP_CONTAINER_METADATA", "FLUENT_KUBERNETES_METADATA_SKIP_MASTER_URL",
        "FLUENT_KUBERNETES_METADATA_SKIP_NAMESPACE_METADATA", "FLUENT_KUBERNETES_WATCH",
        "FLUENT_CONTAINER_TAIL_PARSER_TYPE", "FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT", "FLUENT_POS_EXTRA_DIR",
        "FLUENT_POS_DIR", "FLUENT_CONTAINER_TAIL_PATH", "FLUENT_CONTAINER_TAIL_TAG", "FLUENT_CONTAINER_TAIL_EXCLUDE_PATH",
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS",
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var environment: [String: String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // The image's own variables unset: only what the image's README requires (the stream name),
        // the region from the AWS SDK's variable, and what Kubernetes sets in every pod.
        Case(
            name: "image variables unset",
            environment: [
                "FLUENT_KINESIS_STREAMS_STREAM_NAME": "logs", "AWS_REGION": "us-east-1",
                "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
            ]),
        Case(
            name: "image variables set",
            environment: [
                "FLUENTD_SYSTEMD_CONF": "disable", "FLUENTD_PROMETHEUS_CONF": "prometheus",
                "FLUENT_KINESIS_STREAMS_REGION": "eu-west-1", "FLUENT_KINESIS_STREAMS_STREAM_NAME": "cluster-logs",
                "FLUENT_KINESIS_STREAMS_INCLUDE_TIME_KEY": "false", "FLUENT_KINESIS_STREAMS_CHUNK_LIMIT_SIZE": "2m",
                "FLUENTD_PROMETHEUS_BIND": "127.0.0.1", "FLUENTD_PROMETHEUS_PORT": "24299", "FLUENTD_PROMETHEUS_PATH": "/prom",
                "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443",
                "KUBERNETES_VERIFY_SSL": "false", "FLUENT_KUBERNETES_METADATA_SKIP_LABELS": "true",
                "FLUENT_KUBERNETES_METADATA_SKIP_CONTAINER_METADATA": "true", "FLUENT_KUBERNETES_METADATA_SKIP_MASTER_URL": "true",
                "FLUENT_KUBERNETES_METADATA_SKIP_NAMESPACE_METADATA": "true", "FLUENT_KUBERNETES_WATCH": "false",
                "FLUENT_CONTAINER_TAIL_PARSER_TYPE": "cri", "FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%N%:z",
                "FLUENT_POS_EXTRA_DIR": "pos", "FLUENT_POS_DIR": "pos", "FLUENT_CONTAINER_TAIL_PATH": "/var/log/containers/app-*.log",
                "FLUENT_CONTAINER_TAIL_TAG": "k8s.*", "FLUENT_CONTAINER_TAIL_EXCLUDE_PATH": #"["/var/log/containers/fluent*"]"#,
            ]),
    ]

    @Test(.enabled(if: present, "needs ../shared/compat beside the repository"), arguments: cases)
    func dryRunStrictPassesWithoutWarnings(_ testCase: Case) async throws {
        let result = try await TestProcess.run(
            Paths.runnel, ["-c", Self.directory.appendingPathComponent("fluent.conf").path, "--dry-run", "--strict"],
            environment: testCase.environment, unsetting: Self.variables)
        #expect(result.status == 0, "\(result.output)")
        let complaints = result.output.split(separator: "\n").filter { $0.contains("[warn]") || $0.contains("[error]") }
        #expect(complaints.isEmpty, "\(complaints.joined(separator: "\n"))")
    }

    static var canMountNamespace: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") }

    /// The configuration runs unchanged: in a mount namespace of its own, `/var/log` is a test
    /// folder holding container, docker and kubelet logs and a journal, and Runnel tails them into moto.
    @Test(.enabled(if: present && canMountNamespace, "needs ../shared/compat, root and unshare(1)"))
    func runTailsContainerDockerKubeletAndJournalLogsIntoKinesis() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path
        let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", "cluster", "--shards", "2"])
        #expect(created.status == 0, "\(created.output)")

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-compat-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let varLog = root.appendingPathComponent("varlog")
        for folder in ["containers", "journal"] {
            try FileManager.default.createDirectory(at: varLog.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let containerID = String(repeating: "ab12", count: 16)
        let container = "containers/web-7d4b9_shop_nginx-\(containerID).log"
        try write(
            varLog, container,
            """
            {"log":"GET /cart 200\\n","stream":"stdout","time":"2026-12-01T10:00:00.123456789Z"}
            {"log":"upstream slow\\n","stream":"stderr","time":"2026-12-01T10:00:01.5Z"}

            """)
        // docker.log and kubelet.log are tailed from their end (no read_from_head): lines come after the start.
        try write(varLog, "docker.log", "")
        try write(varLog, "kubelet.log", "")
        let export = """
            __REALTIME_TIMESTAMP=1764583205000000
            __MONOTONIC_TIMESTAMP=1000
            _BOOT_ID=0123456789abcdef0123456789abcdef
            _SYSTEMD_UNIT=kubelet.service
            MESSAGE=kubelet journal line
            PRIORITY=6

            __REALTIME_TIMESTAMP=1764583206000000
            __MONOTONIC_TIMESTAMP=2000
            _BOOT_ID=0123456789abcdef0123456789abcdef
            _SYSTEMD_UNIT=cron.service
            MESSAGE=not matched

            """
        let journal = try TestProcess(
            "/lib/systemd/systemd-journal-remote", ["--output=" + varLog.appendingPathComponent("journal/remote.journal").path, "-"],
            stdin: Data(export.utf8))
        #expect(await journal.wait(seconds: 30) == 0, "\(journal.log)")

        var environment = Self.cases[0].environment
        environment["FLUENT_KINESIS_STREAMS_STREAM_NAME"] = "cluster"
        environment["AWS_ENDPOINT_URL_KINESIS"] = moto.endpoint
        environment["AWS_ACCESS_KEY_ID"] = "testing"
        environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["FLUENTD_PROMETHEUS_BIND"] = "127.0.0.1"
        environment["FLUENTD_PROMETHEUS_PORT"] = "\(try freePort())"
        // No API server here: a loopback port where nothing listens, so metadata comes from file names.
        environment["FLUENT_FILTER_KUBERNETES_URL"] = "http://127.0.0.1:\(try freePort())/api"
        let script = #"mount --bind "$0" /var/log && exec "$@""#
        let runnel = try TestProcess(
            "/usr/bin/unshare", ["--mount", "sh", "-c", script, varLog.path, Paths.runnel, "-c", Self.directory.appendingPathComponent("fluent.conf").path],
            environment: environment, unsetting: Self.variables)
        defer { Task { await runnel.stop() } }
        for (posFile, log) in [("fluentd-docker.log.pos", "docker.log"), ("fluentd-kubelet.log.pos", "kubelet.log")] {
            try await waitUntil("\(log) is tailed (\(runnel.log))", timeout: 60, every: .milliseconds(100)) {
                (try? String(contentsOf: varLog.appendingPathComponent(posFile), encoding: .utf8))?.contains(log) == true
            }
        }
        try append(
            varLog, "docker.log",
            """
            time="2026-12-01T10:00:02.000000000Z" level=info msg="Container started"

            """)
        try append(
            varLog, "kubelet.log",
            """
            I1201 10:00:03.123456    4321 kubelet.go:1234] Started kubelet
            E1201 10:00:04.000001    4321 pod_workers.go:99] Error syncing pod

            """)
        let dumped = try await TestProcess.run(
            "python3", [helper, "dump", "--endpoint", moto.endpoint, "--stream", "cluster", "--records", "6", "--timeout", "90"])
        #expect(dumped.status == 0, "\(dumped.output)")
        let records = dumped.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let messages = records.compactMap { ($0["log"] ?? $0["message"] ?? $0["MESSAGE"] ?? $0["msg"]) as? String }
        #expect(records.count == 6, "\(dumped.output)\n\(runnel.log)")
        for expected in ["GET /cart 200\n", "upstream slow\n", "Container started", "Started kubelet", "Error syncing pod", "kubelet journal line"] {
            #expect(messages.contains(expected), "no record with \(expected.debugDescription): \(dumped.output)\n\(runnel.log)")
        }
        let cart = records.first { ($0["log"] as? String) == "GET /cart 200\n" }
        let kubernetes = cart?["kubernetes"] as? [String: Any]
        #expect(kubernetes?["pod_name"] as? String == "web-7d4b9")
        #expect(kubernetes?["namespace_name"] as? String == "shop")
        #expect(kubernetes?["container_name"] as? String == "nginx")
        #expect((cart?["docker"] as? [String: Any])?["container_id"] as? String == containerID)
        let kubelet = records.first { ($0["message"] as? String) == "Error syncing pod" }
        #expect(kubelet?["severity"] as? String == "E")
        // The pos files went where File.join('/var/log/', '', '...') puts them, inside the namespace's /var/log.
        #expect(FileManager.default.fileExists(atPath: varLog.appendingPathComponent("fluentd-containers.log.pos").path))
        #expect(FileManager.default.fileExists(atPath: varLog.appendingPathComponent("fluentd-journald-kubelet-cursor.json").path))

        runnel.signal(SIGTERM)
        let status = await runnel.wait(seconds: 30)
        #expect(status == 0, "exit status after SIGTERM: \(String(describing: status))\n\(runnel.log)")
    }

    func write(_ directory: URL, _ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    func append(_ directory: URL, _ name: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(name))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}
