import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelPipeline

/// `<filter> @type kubernetes_metadata`: adds a `kubernetes` map to records of container logs.
///
/// The names always come from the tag (`pod_name`, `namespace_name`, `container_name`,
/// `docker_id`). In a cluster (an API server URL from `kubernetes_url` or
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

    public init(configuration: KubernetesMetadataConfiguration, logger: Logger,
                clock: @escaping @Sendable () -> Double = TailInputPlugin.monotonicSeconds) throws {
        self.configuration = configuration
        regex = try NamedRegex(configuration.tagExpression)
        annotationRegexes = try configuration.annotationMatch.map { try NamedRegex("^(?:\($0))$") }
        cache = KubernetesMetadataCache(ttl: configuration.cacheTTL, capacity: configuration.cacheSize)
        client = configuration.kubernetesURL.map { KubernetesAPIClient(configuration: configuration, baseURL: $0, logger: logger) }
        self.clock = clock
    }

    /// The factory RunnelApp registers as `kubernetes_metadata`.
    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try KubernetesMetadataFilterPlugin(configuration: KubernetesMetadataConfiguration(context.element), logger: context.logger)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        guard let reference = KubernetesPodReference(stream.tag, regex: regex) else { return [stream] }
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
        var writer = MessagePackWriter()
        writer.write("kubernetes")
        writer.write(kubernetesMap(reference, entry))
        return [TailWatcher.addingField(to: stream, encoded: writer.bytes)]
    }

    /// Waits until a pod's metadata is cached (tests, and callers that prefer to warm the cache).
    public func isCached(namespace: String, pod: String) -> Bool {
        cache.lookup("\(namespace)/\(pod)", now: clock()) != nil
    }

    func kubernetesMap(_ reference: KubernetesPodReference, _ entry: KubernetesMetadataCache.Entry?) -> MessagePackValue {
        var fields: [(String, MessagePackValue)] = [
            ("pod_name", .string(reference.podName)), ("namespace_name", .string(reference.namespace)),
            ("container_name", .string(reference.containerName)), ("docker_id", .string(reference.dockerID)),
        ]
        if let pod = entry?.pod {
            if !configuration.skipContainerMetadata, let image = pod.containerImages[reference.containerName] {
                fields.append(("container_image", .string(image.image)))
                if let id = image.imageID { fields.append(("container_image_id", .string(id))) }
            }
            if let id = pod.podID { fields.append(("pod_id", .string(id))) }
            if let ip = pod.podIP { fields.append(("pod_ip", .string(ip))) }
            if let host = pod.host { fields.append(("host", .string(host))) }
            if !configuration.skipLabels, !pod.labels.isEmpty { fields.append(("labels", map(pod.labels))) }
            let annotations = pod.annotations.filter { name, _ in annotationRegexes.contains { $0.matches(name) } }
            if !annotations.isEmpty { fields.append(("annotations", map(annotations, deDot: false))) }
            if !configuration.skipMasterURL, let url = configuration.kubernetesURL { fields.append(("master_url", .string(url))) }
            if !configuration.skipNamespaceMetadata {
                if let id = entry?.namespaceID { fields.append(("namespace_id", .string(id))) }
                if let labels = entry?.namespaceLabels, !labels.isEmpty { fields.append(("namespace_labels", map(labels))) }
            }
        }
        return .map(fields.map { MessagePackPair(key: .string($0.0), value: $0.1) })
    }

    func map(_ pairs: [(String, String)], deDot: Bool = true) -> MessagePackValue {
        .map(pairs.map { key, value in
            let name = deDot && configuration.deDot ? key.replacingOccurrences(of: ".", with: configuration.deDotSeparator) : key
            return MessagePackPair(key: .string(name), value: .string(value))
        })
    }
}
