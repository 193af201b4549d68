import Foundation
import RunnelConfig

/// `<filter> @type kubernetes_metadata`, with fluent-plugin-kubernetes_metadata_filter's names.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `kubernetes_url` | string | `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` | API server; none → file-name fields only |
/// | `bearer_token_file` | string | `/var/run/secrets/kubernetes.io/serviceaccount/token` | service-account token |
/// | `ca_file` | string | `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt` | CA of the API server |
/// | `verify_ssl` | bool | true | |
/// | `cache_size` | integer | 1000 | pods kept |
/// | `cache_ttl` | time | 3600 | how long a pod's metadata is kept |
/// | `tag_to_kubernetes_name_regexp` | regexp | the plugin's default | reads pod, namespace, container, id from the tag |
/// | `annotation_match` | array | `[]` | annotations whose name matches one of these are added |
/// | `skip_labels` / `skip_container_metadata` / `skip_namespace_metadata` / `skip_master_url` | bool | false | |
/// | `de_dot` / `de_dot_separator` | bool / string | true / `_` | dots in label names replaced |
/// | `watch` | bool | true | accepted; Runnel never watches, it fetches on a cache miss |
public struct KubernetesMetadataConfiguration: Sendable {
    public var kubernetesURL: String?
    public var bearerTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    public var caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    public var verifySSL = true
    public var cacheSize = 1000
    public var cacheTTL: Double = 3600
    public var tagExpression = KubernetesPodReference.defaultExpression
    public var annotationMatch: [String] = []
    public var skipLabels = false
    public var skipContainerMetadata = false
    public var skipNamespaceMetadata = false
    public var skipMasterURL = false
    public var deDot = true
    public var deDotSeparator = "_"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            let port = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
            let bracketed = host.contains(":") ? "[\(host)]" : host
            kubernetesURL = "https://\(bracketed):\(port)"
        }
    }

    public init(_ element: ConfigElement, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init(environment: environment)
        if let url = element.string("kubernetes_url") { kubernetesURL = url }
        bearerTokenFile = element.string("bearer_token_file", default: bearerTokenFile)
        caFile = element.string("ca_file", default: caFile)
        verifySSL = try element.bool("verify_ssl", default: true)
        cacheSize = try element.integer("cache_size", default: 1000)
        cacheTTL = try element.time("cache_ttl", default: 3600)
        tagExpression = element.string("tag_to_kubernetes_name_regexp", default: tagExpression)
        annotationMatch = try element.array("annotation_match", default: [])
        skipLabels = try element.bool("skip_labels", default: false)
        skipContainerMetadata = try element.bool("skip_container_metadata", default: false)
        skipNamespaceMetadata = try element.bool("skip_namespace_metadata", default: false)
        skipMasterURL = try element.bool("skip_master_url", default: false)
        deDot = try element.bool("de_dot", default: true)
        deDotSeparator = element.string("de_dot_separator", default: "_")
        _ = try element.bool("watch", default: true)
    }
}
