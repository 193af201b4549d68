import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelTestSupport
import Testing
@testable import RunnelKubernetesMetadata

/// A fake API server on 127.0.0.1 (Python's http.server), answering one pod and its namespace,
/// and checking the bearer token.
final class FakeKubernetesAPI: Sendable {
    static let script = #"""
        import http.server, json, sys
        POD = {"metadata": {"name": "web-1", "namespace": "shop", "uid": "pod-uid-1",
                            "labels": {"app": "web", "app.kubernetes.io/version": "2"},
                            "annotations": {"prometheus.io/scrape": "true", "other": "x"}},
               "spec": {"nodeName": "node-a", "containers": [{"name": "nginx", "image": "nginx:1.25"}]},
               "status": {"podIP": "10.1.2.3", "containerStatuses": [
                   {"name": "nginx", "image": "docker.io/library/nginx:1.25", "imageID": "docker.io/library/nginx@sha256:abc",
                    "containerID": "containerd://b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"}]}}
        NS = {"metadata": {"name": "shop", "uid": "ns-uid-1", "labels": {"team": "payments"}}}
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("Authorization") != "Bearer test-token":
                    self.send_response(401); self.end_headers(); return
                body = {"/api/v1/namespaces/shop/pods/web-1": POD, "/api/v1/namespaces/shop": NS}.get(self.path)
                if body is None:
                    self.send_response(404); self.end_headers(); return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), H)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    let process: Process
    let port: Int

    init(directory: String) throws {
        let scriptPath = directory + "/fake_api.py"
        try FakeKubernetesAPI.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = Data()
        while !line.contains(0x0a) {
            guard let chunk = pipe.fileHandleForReading.readSomeRetrying(), !chunk.isEmpty else { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    deinit {
        // SIGKILL: the test process may have SIGTERM blocked, and a child inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct KubernetesMetadataFilterTests {
    static let dockerID = String(repeating: "a1", count: 32)
    static let tag = "kubernetes.var.log.containers.web-1_shop_nginx-\(dockerID).log"

    func stream(tag: String = tag) -> EventStream {
        var builder = EventStreamBuilder(tag: tag)
        builder.append(time: EventTime(seconds: 1), record: .record(["log": "hello\n"]))
        return builder.build()
    }

    @Test func podReferenceFromTag() throws {
        let regex = try RunnelParsers.NamedRegex(KubernetesPodReference.defaultExpression)
        #expect(
            KubernetesPodReference(KubernetesMetadataFilterTests.tag, regex: regex)
                == KubernetesPodReference(podName: "web-1", namespace: "shop", containerName: "nginx", dockerID: KubernetesMetadataFilterTests.dockerID))
        #expect(KubernetesPodReference("var.log.syslog", regex: regex) == nil)
    }

    /// filter_kubernetes_metadata.rb `get_metadata_for_record` (plugin 3.7): `{'docker' =>
    /// {'container_id' => docker_id}, 'kubernetes' => {'container_name', 'namespace_name',
    /// 'pod_name'}}`, added with `record.merge(metadata)`; no `docker_id` inside `kubernetes`.
    @Test func offClusterAddsFileNameFields() throws {
        let configuration = try KubernetesMetadataConfiguration(ConfigElement("filter", "kubernetes.**", ["@type": "kubernetes_metadata"]), environment: [:])
        #expect(configuration.kubernetesURL == nil)
        let plugin = try KubernetesMetadataFilterPlugin(configuration: configuration, logger: Logger(label: "k8s"))
        let out = try plugin.filter(stream()).flatMap { try $0.decodedEntries() }
        #expect(
            out.first?.record
                == .record([
                    "log": "hello\n",
                    "docker": .record(["container_id": .string(KubernetesMetadataFilterTests.dockerID)]),
                    "kubernetes": .record(["container_name": "nginx", "namespace_name": "shop", "pod_name": "web-1"]),
                ]))
        // Not a container log: untouched.
        #expect(try plugin.filter(stream(tag: "app.log")) == [stream(tag: "app.log")])
    }

    /// `record.merge(metadata)`: a record's own `docker`/`kubernetes` are replaced where they stand.
    @Test func existingFieldsAreReplacedInPlace() throws {
        let configuration = try KubernetesMetadataConfiguration(ConfigElement("filter", "", [:]), environment: [:])
        let plugin = try KubernetesMetadataFilterPlugin(configuration: configuration, logger: Logger(label: "k8s"))
        var builder = EventStreamBuilder(tag: KubernetesMetadataFilterTests.tag)
        builder.append(time: EventTime(seconds: 1), record: .record(["kubernetes": "mine", "log": "x", "docker": 1]))
        let out = try plugin.filter(builder.build()).flatMap { try $0.decodedEntries() }
        #expect(
            out.first?.record
                == .record([
                    "kubernetes": .record(["container_name": "nginx", "namespace_name": "shop", "pod_name": "web-1"]),
                    "log": "x",
                    "docker": .record(["container_id": .string(KubernetesMetadataFilterTests.dockerID)]),
                ]))
    }

    /// `lookup_from_k8s_field` (default true): the record's own names win over the tag's, and
    /// `record.merge(metadata)` replaces its `kubernetes` map with the plugin's.
    @Test func lookupFromK8sField() throws {
        let configuration = try KubernetesMetadataConfiguration(ConfigElement("filter", "", [:]), environment: [:])
        let plugin = try KubernetesMetadataFilterPlugin(configuration: configuration, logger: Logger(label: "k8s"))
        var builder = EventStreamBuilder(tag: "journal.kubelet")
        builder.append(
            time: EventTime(seconds: 1),
            record: .record([
                "kubernetes": .record(["namespace_name": "ops", "pod_name": "db-0", "container_name": "pg", "extra": 1]),
                "docker": .record(["container_id": "abc"]), "MESSAGE": "hi",
            ]))
        builder.append(time: EventTime(seconds: 1), record: .record(["MESSAGE": "no names"]))
        let out = try plugin.filter(builder.build()).flatMap { try $0.decodedEntries().map(\.record) }
        #expect(
            out == [
                .record([
                    "kubernetes": .record(["container_name": "pg", "namespace_name": "ops", "pod_name": "db-0"]),
                    "docker": .record(["container_id": "abc"]), "MESSAGE": "hi",
                ]),
                .record(["MESSAGE": "no names"]),
            ])
    }

    /// The default tag_to_kubernetes_name_regexp also reads `/var/log/pods/<ns>_<pod>_<uid>/<container>/N.log`;
    /// without a container id `get_metadata_for_record` deletes `docker`.
    @Test func varLogPodsHasNoDockerField() throws {
        let configuration = try KubernetesMetadataConfiguration(ConfigElement("filter", "", [:]), environment: [:])
        let plugin = try KubernetesMetadataFilterPlugin(configuration: configuration, logger: Logger(label: "k8s"))
        let tag = "kubernetes.var.log.pods.shop_web-1_0f1e2d3c-aaaa-bbbb-cccc-000000000001.nginx.0.log"
        let out = try plugin.filter(stream(tag: tag)).flatMap { try $0.decodedEntries() }
        #expect(
            out.first?.record
                == .record([
                    "log": "hello\n",
                    "kubernetes": .record(["container_name": "nginx", "namespace_name": "shop", "pod_name": "web-1"]),
                ]))
    }

    @Test func inClusterFetchesAndCachesPodMetadata() async throws {
        let dir = try TemporaryDirectory()
        let api = try FakeKubernetesAPI(directory: dir.path)
        try #require(api.port > 0, "python3 is needed for the fake API server")
        try "test-token\n".write(toFile: dir.path + "/token", atomically: true, encoding: .utf8)
        let environment = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(api.port)"]
        var configuration = try KubernetesMetadataConfiguration(
            ConfigElement("filter", "", ["bearer_token_file": dir.path + "/token", "annotation_match": "prometheus.io/.*"]),
            environment: environment)
        // filter_kubernetes_metadata.rb `configure`: "https://#{env_host}:#{env_port}/api".
        #expect(configuration.kubernetesURL == "https://127.0.0.1:\(api.port)/api")
        configuration.kubernetesURL = "http://127.0.0.1:\(api.port)/api"
        let plugin = try KubernetesMetadataFilterPlugin(configuration: configuration, logger: Logger(label: "k8s"))
        // The first batch triggers the fetch and carries the names.
        _ = try plugin.filter(stream())
        // A wait for the fetch, not a speed check: generous for a loaded CI machine.
        var deadline = Date().addingTimeInterval(60)
        while !plugin.isCached(namespace: "shop", pod: "web-1"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let out = try plugin.filter(stream()).flatMap { try $0.decodedEntries() }
        // The API's containerID replaces the file name's, without `containerd://`
        // (kubernetes_metadata_common.rb parse_pod_metadata); labels keep their dots (3.x has no de_dot).
        #expect(out.first?.record["docker"] == .record(["container_id": .string(String(repeating: "b2", count: 32))]))
        #expect(
            out.first?.record["kubernetes"]
                == .record([
                    "container_name": "nginx", "namespace_name": "shop", "pod_name": "web-1",
                    "container_image": "docker.io/library/nginx:1.25", "container_image_id": "docker.io/library/nginx@sha256:abc",
                    "pod_id": "pod-uid-1", "pod_ip": "10.1.2.3", "host": "node-a",
                    "labels": .record(["app": "web", "app.kubernetes.io/version": "2"]),
                    "annotations": .record(["prometheus.io/scrape": "true"]),
                    "master_url": .string("http://127.0.0.1:\(api.port)/api"),
                    "namespace_id": "ns-uid-1", "namespace_labels": .record(["team": "payments"]),
                ]))

        // skip_container_metadata: no image fields, and get_metadata_for_record keeps the file
        // name's id in docker.container_id; skip_pod_labels drops only the pod's labels.
        var skipping = configuration
        skipping.skipContainerMetadata = true
        skipping.skipPodLabels = true
        skipping.skipMasterURL = true
        let skipper = try KubernetesMetadataFilterPlugin(configuration: skipping, logger: Logger(label: "k8s"))
        _ = try skipper.filter(stream())
        deadline = Date().addingTimeInterval(60)
        while !skipper.isCached(namespace: "shop", pod: "web-1"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let skipped = try skipper.filter(stream()).flatMap { try $0.decodedEntries() }
        #expect(skipped.first?.record["docker"] == .record(["container_id": .string(KubernetesMetadataFilterTests.dockerID)]))
        #expect(
            skipped.first?.record["kubernetes"]
                == .record([
                    "container_name": "nginx", "namespace_name": "shop", "pod_name": "web-1",
                    "pod_id": "pod-uid-1", "pod_ip": "10.1.2.3", "host": "node-a",
                    "annotations": .record(["prometheus.io/scrape": "true"]),
                    "namespace_id": "ns-uid-1", "namespace_labels": .record(["team": "payments"]),
                ]))
    }

    @Test func cacheExpiresAfterTTL() {
        let cache = KubernetesMetadataCache(ttl: 10, capacity: 2)
        #expect(cache.beginFetch("a", now: 0))
        #expect(!cache.beginFetch("a", now: 0))
        cache.store("a", .init(pod: nil, namespaceID: nil, namespaceLabels: [], expires: 10))
        #expect(cache.lookup("a", now: 5) != nil)
        #expect(cache.lookup("a", now: 10) == nil)
        cache.store("b", .init(pod: nil, namespaceID: nil, namespaceLabels: [], expires: 100))
        cache.store("c", .init(pod: nil, namespaceID: nil, namespaceLabels: [], expires: 100))
        cache.store("d", .init(pod: nil, namespaceID: nil, namespaceLabels: [], expires: 100))
        #expect(cache.lookup("b", now: 0) == nil)
        #expect(cache.lookup("d", now: 0) != nil)
    }
}
