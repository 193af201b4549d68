import RunnelParsers

/// What a container log's file name says: `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`,
/// read from the tag (`kubernetes.var.log.containers....log`) with fluent-plugin-kubernetes_metadata_filter's
/// default `tag_to_kubernetes_name_regexp`.
public struct KubernetesPodReference: Equatable, Sendable {
    /// The plugin's default: `(REGEX_VAR_LOG_PODS|REGEX_VAR_LOG_CONTAINERS)` in filter_kubernetes_metadata.rb.
    /// A `/var/log/pods` name has no container id, so its records get no `docker` map.
    public static let defaultExpression =
        #"((var\.log\.pods)\.(?<namespace>[^_]+)_(?<pod_name>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)_(?<pod_uuid>[a-z0-9-]*)\.(?<container_name>.+)\..*\.log$|(var\.log\.containers)\.(?<pod_name>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)_(?<namespace>[^_]+)_(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})\.log$)"#

    public var podName: String
    public var namespace: String
    public var containerName: String
    public var dockerID: String

    public init(podName: String, namespace: String, containerName: String, dockerID: String) {
        self.podName = podName
        self.namespace = namespace
        self.containerName = containerName
        self.dockerID = dockerID
    }

    /// Reads a tag or path with `regex` (named groups pod_name, namespace, container_name, docker_id).
    public init?(_ text: String, regex: NamedRegex) {
        guard let captures = regex.match(text) else { return nil }
        var values: [String: String] = [:]
        for capture in captures { if let value = capture.value { values[capture.name] = value } }
        guard let pod = values["pod_name"], let namespace = values["namespace"] else { return nil }
        self.init(
            podName: pod, namespace: namespace, containerName: values["container_name"] ?? "",
            dockerID: values["docker_id"] ?? "")
    }

    var cacheKey: String { "\(namespace)/\(podName)" }
}
