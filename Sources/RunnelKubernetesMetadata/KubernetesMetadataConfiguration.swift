import Foundation
import RunnelConfig

/// `<filter> @type kubernetes_metadata`, with fluent-plugin-kubernetes_metadata_filter 3.x's names
/// (lib/fluent/plugin/filter_kubernetes_metadata.rb).
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `kubernetes_url` | string | `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api` when both are set | API server; none → file-name fields only. With or without the trailing `/api`, as Kubeclient takes it |
/// | `secret_dir` | string | `/var/run/secrets/kubernetes.io/serviceaccount` | where `token` and `ca.crt` are found when the two keys below are empty |
/// | `bearer_token_file` | string | `secret_dir/token` | service-account token |
/// | `ca_file` | string | `secret_dir/ca.crt` | CA of the API server |
/// | `verify_ssl` | bool | true | |
/// | `cache_size` | integer | 1000 | pods kept |
/// | `cache_ttl` | integer (seconds) | 3600 | how long a pod's metadata is kept |
/// | `tag_to_kubernetes_name_regexp` | regexp | the plugin's `/var/log/containers` expression | reads pod, namespace, container and docker_id from the tag |
/// | `annotation_match` | array | `[]` | pod and namespace annotations whose name matches one of these (anywhere in the name) are added |
/// | `skip_labels` / `skip_pod_labels` / `skip_namespace_labels` | bool | false | |
/// | `skip_container_metadata` | bool | false | no `container_image`, `container_image_id`, nor the API's container id in `docker.container_id` |
/// | `skip_master_url` / `skip_namespace_metadata` | bool | false | |
/// | `de_dot` / `de_dot_separator` | bool / string | false / `_` | plugin 2.x only (3.0 removed it): dots in label names replaced |
/// | `lookup_from_k8s_field` | bool | true | a record with `kubernetes.{namespace_name,pod_name,container_name}` and `docker.container_id` is looked up by them, not by the tag |
/// | `watch` | bool | true | accepted; Runnel never watches, it fetches on a cache miss |
/// | `apiVersion`, `open_timeout`, `read_timeout`, `stats_interval`, `allow_orphans`, `ignore_nil`, `watch_retry_*` | | | accepted, no effect |
public struct KubernetesMetadataConfiguration: Sendable {
    public static let defaultSecretDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var kubernetesURL: String?
    public var bearerTokenFile = defaultSecretDirectory + "/token"
    public var caFile = defaultSecretDirectory + "/ca.crt"
    public var verifySSL = true
    public var cacheSize = 1000
    public var cacheTTL: Double = 3600
    public var tagExpression = KubernetesPodReference.defaultExpression
    public var annotationMatch: [String] = []
    public var skipLabels = false
    public var skipPodLabels = false
    public var skipNamespaceLabels = false
    public var skipContainerMetadata = false
    public var skipNamespaceMetadata = false
    public var skipMasterURL = false
    public var deDot = false
    public var lookupFromK8sField = true
    public var deDotSeparator = "_"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        // filter_kubernetes_metadata.rb `configure`: only when both variables are present.
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        {
            let bracketed = host.contains(":") ? "[\(host)]" : host
            kubernetesURL = "https://\(bracketed):\(port)/api"
        }
    }

    public init(_ element: ConfigElement, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init(environment: environment)
        if let url = element.string("kubernetes_url"), !url.isEmpty { kubernetesURL = url }
        let secrets = element.string("secret_dir", default: KubernetesMetadataConfiguration.defaultSecretDirectory)
        // An empty value (`ca_file "#{ENV['KUBERNETES_CA_FILE']}"` with the variable unset) means the default.
        bearerTokenFile = element.string("bearer_token_file").flatMap { $0.isEmpty ? nil : $0 } ?? secrets + "/token"
        caFile = element.string("ca_file").flatMap { $0.isEmpty ? nil : $0 } ?? secrets + "/ca.crt"
        verifySSL = try element.bool("verify_ssl", default: true)
        cacheSize = try element.integer("cache_size", default: 1000)
        cacheTTL = try element.time("cache_ttl", default: 3600)
        tagExpression = element.string("tag_to_kubernetes_name_regexp", default: tagExpression)
        annotationMatch = try element.array("annotation_match", default: [])
        skipLabels = try element.bool("skip_labels", default: false)
        skipPodLabels = try element.bool("skip_pod_labels", default: false)
        skipNamespaceLabels = try element.bool("skip_namespace_labels", default: false)
        skipContainerMetadata = try element.bool("skip_container_metadata", default: false)
        skipNamespaceMetadata = try element.bool("skip_namespace_metadata", default: false)
        skipMasterURL = try element.bool("skip_master_url", default: false)
        deDot = try element.bool("de_dot", default: false)
        deDotSeparator = element.string("de_dot_separator", default: "_")
        lookupFromK8sField = try element.bool("lookup_from_k8s_field", default: true)
        _ = try element.bool("watch", default: true)
        for key in [
            "apiVersion", "open_timeout", "read_timeout", "stats_interval", "allow_orphans", "ignore_nil",
            "watch_retry_interval", "watch_retry_exponential_backoff_base", "watch_retry_max_times",
        ] {
            _ = element.string(key)
        }
    }
}
