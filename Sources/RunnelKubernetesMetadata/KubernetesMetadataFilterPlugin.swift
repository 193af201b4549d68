import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelPipeline

/// `<filter> @type kubernetes_metadata`: adds `docker` and `kubernetes` maps to records of
/// container logs, as fluent-plugin-kubernetes_metadata_filter 3.x's `get_metadata_for_record`
/// builds them and `record.merge(metadata)` adds them: `docker.container_id` is the id in the
/// file name (or the API's, without its `containerd://` prefix), and `docker` is left out when
/// that is empty; `kubernetes` starts with `container_name`, `namespace_name`, `pod_name` from the
/// tag. A record that already has either key has it replaced where it stands.
///
/// In a cluster (an API server URL from `kubernetes_url` or
/// `KUBERNETES_SERVICE_HOST`) pod labels, annotations (`annotation_match`), pod id, host, image and
/// namespace labels are fetched with the service-account token and cached for `cache_ttl`.
/// A filter cannot wait, so a pod's first records, before its fetch completes, carry the names only;
/// off-cluster, or when the API cannot be reached, records carry the names and nothing fails.
public struct KubernetesMetadataFilterPlugin: FilterPlugin {
    public let configuration: KubernetesMetadataConfiguration
    let regex: NamedRegex
    let annotationRegexes: [NamedRegex]
    let cache: KubernetesMetadataCache
    let client: KubernetesAPIClient?
    let clock: @Sendable () -> Double

    public init(
        configuration: KubernetesMetadataConfiguration, logger: Logger,
        clock: @escaping @Sendable () -> Double = MonotonicClock.seconds
    ) throws {
        self.configuration = configuration
        regex = try NamedRegex(configuration.tagExpression)
        // The plugin's match_annotations tests each name with `Regexp#match`: unanchored.
        annotationRegexes = try configuration.annotationMatch.map { try NamedRegex($0) }
        cache = KubernetesMetadataCache(ttl: configuration.cacheTTL, capacity: configuration.cacheSize)
        client = configuration.kubernetesURL.map { KubernetesAPIClient(configuration: configuration, baseURL: $0, logger: logger) }
        self.clock = clock
    }

    /// The factory RunnelApp registers as `kubernetes_metadata`.
    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try KubernetesMetadataFilterPlugin(configuration: KubernetesMetadataConfiguration(context.element), logger: context.logger)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        let fromTag = KubernetesPodReference(stream.tag, regex: regex)
        if configuration.lookupFromK8sField, KubernetesMetadataFilterPlugin.anyRecordHasBothKeys(stream) {
            return [try filterEachRecord(stream, fromTag: fromTag)]
        }
        guard let reference = fromTag else { return [stream] }
        return [stream.settingFields(metadata(reference, lookup(reference)), merge: .replace)]
    }

    /// The cached metadata of a pod, starting a fetch on a miss.
    func lookup(_ reference: KubernetesPodReference) -> KubernetesMetadataCache.Entry? {
        let now = clock()
        let entry = cache.lookup(reference.cacheKey, now: now)
        if entry == nil, let client, cache.beginFetch(reference.cacheKey, now: now) {
            let cache = self.cache
            let ttl = configuration.cacheTTL
            let clock = self.clock
            client.fetch(reference, namespaceToo: !configuration.skipNamespaceMetadata) { fetched in
                var fetched = fetched
                fetched?.expires = clock() + ttl
                cache.store(reference.cacheKey, fetched)
            }
        }
        return entry
    }

    /// `lookup_from_k8s_field`: a record whose `kubernetes` map has `namespace_name`, `pod_name`
    /// and `container_name` and whose `docker` map has `container_id` is looked up by those,
    /// over what the tag says (filter_kubernetes_metadata.rb `filter`).
    func filterEachRecord(_ stream: EventStream, fromTag: KubernetesPodReference?) throws -> EventStream {
        var builder = EventStreamBuilder(tag: stream.tag, capacity: stream.entries.count + stream.count * 128)
        try stream.forEachEntry { time, reader in
            let record = try reader.readValue()
            var reference = fromTag
            if let kubernetes = record["kubernetes"], let docker = record["docker"],
                let namespace = kubernetes["namespace_name"], let pod = kubernetes["pod_name"],
                let container = kubernetes["container_name"], let id = docker["container_id"]
            {
                reference = KubernetesPodReference(
                    podName: pod.stringValue ?? "", namespace: namespace.stringValue ?? "",
                    containerName: container.stringValue ?? "", dockerID: id.stringValue ?? "")
            }
            guard let reference, var pairs = record.mapValue else {
                builder.append(time: time, record: record)
                return
            }
            for field in metadata(reference, lookup(reference)) {
                if let at = pairs.firstIndex(where: { $0.key.stringValue == field.key }) {
                    pairs[at].value = field.value
                } else {
                    pairs.append(MessagePackPair(key: .string(field.key), value: field.value))
                }
            }
            builder.append(time: time, record: .map(pairs))
        }
        return builder.build()
    }

    /// Whether some record has both a `kubernetes` and a `docker` key (without decoding records).
    static func anyRecordHasBothKeys(_ stream: EventStream) -> Bool {
        var found = false
        try? stream.forEachEntry { _, reader in
            guard !found, let count = try? reader.readMapHeader() else { return }
            var kubernetes = false
            var docker = false
            for _ in 0..<count {
                if let type = try? reader.peekType(), type == .string, let range = try? reader.readStringOrBinaryRange() {
                    let key = UnsafeRawBufferPointer(rebasing: reader.bytes[range])
                    if key.elementsEqual("kubernetes".utf8) { kubernetes = true }
                    if key.elementsEqual("docker".utf8) { docker = true }
                } else {
                    try reader.skipValue()
                }
                try reader.skipValue()
            }
            if kubernetes && docker { found = true }
        }
        return found
    }

    /// Waits until a pod's metadata is cached (tests, and callers that prefer to warm the cache).
    public func isCached(namespace: String, pod: String) -> Bool {
        cache.lookup("\(namespace)/\(pod)", now: clock()) != nil
    }

    /// The `docker` and `kubernetes` fields for one pod, in the plugin's order.
    func metadata(_ reference: KubernetesPodReference, _ entry: KubernetesMetadataCache.Entry?) -> [(key: String, value: MessagePackValue)] {
        var containerID = reference.dockerID
        var fields: [(String, MessagePackValue)] = [
            ("container_name", .string(reference.containerName)), ("namespace_name", .string(reference.namespace)),
            ("pod_name", .string(reference.podName)),
        ]
        if let pod = entry?.pod {
            if !configuration.skipContainerMetadata, let image = pod.containerImages[reference.containerName] {
                fields.append(("container_image", .string(image.image)))
                if let id = image.imageID, !id.isEmpty { fields.append(("container_image_id", .string(id))) }
                if let id = pod.containerIDs[reference.containerName], !id.isEmpty { containerID = id }
            }
            if let id = pod.podID { fields.append(("pod_id", .string(id))) }
            if let ip = pod.podIP { fields.append(("pod_ip", .string(ip))) }
            if let host = pod.host { fields.append(("host", .string(host))) }
            if !configuration.skipLabels, !configuration.skipPodLabels, !pod.labels.isEmpty {
                fields.append(("labels", map(pod.labels)))
            }
            let annotations = matchingAnnotations(pod.annotations)
            if !annotations.isEmpty { fields.append(("annotations", map(annotations, deDot: false))) }
            if !configuration.skipMasterURL, let url = configuration.kubernetesURL { fields.append(("master_url", .string(url))) }
            if !configuration.skipNamespaceMetadata {
                if let id = entry?.namespaceID { fields.append(("namespace_id", .string(id))) }
                if !configuration.skipLabels, !configuration.skipNamespaceLabels, let labels = entry?.namespaceLabels, !labels.isEmpty {
                    fields.append(("namespace_labels", map(labels)))
                }
                let namespaceAnnotations = matchingAnnotations(entry?.namespaceAnnotations ?? [])
                if !namespaceAnnotations.isEmpty { fields.append(("namespace_annotations", map(namespaceAnnotations, deDot: false))) }
            }
        }
        let kubernetes = MessagePackValue.record(fields)
        guard !containerID.isEmpty else { return [("kubernetes", kubernetes)] }
        return [("docker", .record(["container_id": .string(containerID)])), ("kubernetes", kubernetes)]
    }

    /// The plugin's match_annotations: for each expression in turn, the annotations it matches.
    func matchingAnnotations(_ annotations: [(String, String)]) -> [(String, String)] {
        var result: [(String, String)] = []
        for regex in annotationRegexes {
            for (name, value) in annotations where regex.matches(name) {
                if let at = result.firstIndex(where: { $0.0 == name }) { result[at].1 = value } else { result.append((name, value)) }
            }
        }
        return result
    }

    func map(_ pairs: [(String, String)], deDot: Bool = true) -> MessagePackValue {
        .map(
            pairs.map { key, value in
                let name = deDot && configuration.deDot ? key.replacingOccurrences(of: ".", with: configuration.deDotSeparator) : key
                return MessagePackPair(key: .string(name), value: .string(value))
            })
    }
}
