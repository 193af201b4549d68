import Foundation
import RunnelCore

/// What the API server says about a pod and its namespace, reduced to what records carry.
public struct KubernetesPodMetadata: Equatable, Sendable {
    public var podID: String?
    public var host: String?
    public var podIP: String?
    public var labels: [(String, String)] = []
    public var annotations: [(String, String)] = []
    /// container name → (image, image id)
    public var containerImages: [String: (image: String, imageID: String?)] = [:]
    /// container name → container id from `status.containerStatuses[].containerID`, without its
    /// runtime prefix (`containerd://`), as kubernetes_metadata_common.rb `parse_pod_metadata` strips it.
    public var containerIDs: [String: String] = [:]

    public init() {}

    public static func == (l: KubernetesPodMetadata, r: KubernetesPodMetadata) -> Bool {
        l.podID == r.podID && l.host == r.host && l.labels.elementsEqual(r.labels, by: ==)
    }

    /// From `GET /api/v1/namespaces/{ns}/pods/{name}`.
    public init?(podJSON data: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let metadata = object["metadata"] as? [String: Any]
        else { return nil }
        podID = metadata["uid"] as? String
        labels = KubernetesPodMetadata.pairs(metadata["labels"])
        annotations = KubernetesPodMetadata.pairs(metadata["annotations"])
        host = (object["spec"] as? [String: Any])?["nodeName"] as? String
        let status = object["status"] as? [String: Any]
        podIP = status?["podIP"] as? String
        // Only running containers' statuses, as the plugin's parse_pod_metadata reads them.
        for container in status?["containerStatuses"] as? [[String: Any]] ?? [] {
            guard let name = container["name"] as? String else { continue }
            if let image = container["image"] as? String {
                containerImages[name] = (image, container["imageID"] as? String)
            }
            if let id = container["containerID"] as? String {
                containerIDs[name] = KubernetesPodMetadata.strippingRuntime(id)
            }
        }
    }

    /// `containerd://abc` → `abc` (the plugin's `sub(%r{^[-_a-zA-Z0-9]+://}, '')`).
    static func strippingRuntime(_ id: String) -> String {
        guard let range = id.range(of: "://") else { return id }
        let scheme = id[..<range.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return id
        }
        return String(id[range.upperBound...])
    }

    /// Labels and annotations of `GET /api/v1/namespaces/{ns}`, and its uid.
    public static func namespace(json data: Data) -> (id: String?, labels: [(String, String)], annotations: [(String, String)])? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let metadata = object["metadata"] as? [String: Any]
        else { return nil }
        return (metadata["uid"] as? String, pairs(metadata["labels"]), pairs(metadata["annotations"]))
    }

    static func pairs(_ value: Any?) -> [(String, String)] {
        guard let map = value as? [String: Any] else { return [] }
        return map.keys.sorted().map { ($0, (map[$0] as? String) ?? "\(map[$0]!)") }
    }
}
