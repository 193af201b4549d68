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
        for key in ["containerStatuses", "initContainerStatuses"] {
            for container in status?[key] as? [[String: Any]] ?? [] {
                guard let name = container["name"] as? String, let image = container["image"] as? String else { continue }
                containerImages[name] = (image, container["imageID"] as? String)
            }
        }
        if let spec = object["spec"] as? [String: Any] {
            for container in spec["containers"] as? [[String: Any]] ?? [] {
                guard let name = container["name"] as? String, containerImages[name] == nil,
                    let image = container["image"] as? String
                else { continue }
                containerImages[name] = (image, nil)
            }
        }
    }

    /// Labels of `GET /api/v1/namespaces/{ns}`, and its uid.
    public static func namespace(json data: Data) -> (id: String?, labels: [(String, String)])? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let metadata = object["metadata"] as? [String: Any]
        else { return nil }
        return (metadata["uid"] as? String, pairs(metadata["labels"]))
    }

    static func pairs(_ value: Any?) -> [(String, String)] {
        guard let map = value as? [String: Any] else { return [] }
        return map.keys.sorted().map { ($0, (map[$0] as? String) ?? "\(map[$0]!)") }
    }
}
