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
        guard let object = try? JSONReader.decode([UInt8](data)), let metadata = object["metadata"], metadata.mapValue != nil else { return nil }
        podID = metadata["uid"]?.stringValue
        labels = KubernetesPodMetadata.pairs(metadata["labels"])
        annotations = KubernetesPodMetadata.pairs(metadata["annotations"])
        host = object["spec"]?["nodeName"]?.stringValue
        let status = object["status"]
        podIP = status?["podIP"]?.stringValue
        // Only running containers' statuses, as the plugin's parse_pod_metadata reads them.
        guard case .array(let containers)? = status?["containerStatuses"] else { return }
        for container in containers {
            guard let name = container["name"]?.stringValue else { continue }
            if let image = container["image"]?.stringValue {
                containerImages[name] = (image, container["imageID"]?.stringValue)
            }
            if let id = container["containerID"]?.stringValue {
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
        guard let object = try? JSONReader.decode([UInt8](data)), let metadata = object["metadata"], metadata.mapValue != nil else { return nil }
        return (metadata["uid"]?.stringValue, pairs(metadata["labels"]), pairs(metadata["annotations"]))
    }

    /// A map's string pairs sorted by key (Kubernetes labels and annotations are strings; anything
    /// else is written as JSON).
    static func pairs(_ value: MessagePackValue?) -> [(String, String)] {
        guard let pairs = value?.mapValue else { return [] }
        var out: [(String, String)] = []
        for pair in pairs {
            guard let key = pair.key.stringValue else { continue }
            if let text = pair.value.stringValue {
                out.append((key, text))
            } else {
                var json: [UInt8] = []
                JSONWriter.append(pair.value, to: &json)
                out.append((key, String(decoding: json, as: UTF8.self)))
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}
