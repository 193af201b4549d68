import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Reads pods and namespaces from the API server (`GET /api/v1/namespaces/{ns}/pods/{pod}` and
/// `GET /api/v1/namespaces/{ns}`) with the service-account token, read anew for each request
/// because projected tokens rotate. No watch: the cache's TTL bounds staleness.
final class KubernetesAPIClient: Sendable {
    let baseURL: String
    let tokenFile: String
    let httpClient: HTTPClient
    let threadPool: NIOThreadPool
    let logger: Logger

    init(configuration: KubernetesMetadataConfiguration, baseURL: String, logger: Logger) {
        // Kubeclient takes the URL with or without its `/api` path; requests below add it.
        var base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        if base.hasSuffix("/api") { base.removeLast(4) }
        self.baseURL = base
        self.tokenFile = configuration.bearerTokenFile
        var tls = TLSConfiguration.makeClientConfiguration()
        if FileManager.default.fileExists(atPath: configuration.caFile) {
            tls.trustRoots = .file(configuration.caFile)
        }
        if !configuration.verifySSL { tls.certificateVerification = .none }
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        threadPool = .singleton
        self.logger = logger
    }

    // The last reference may go on one of the client's own event loops (a finished request's
    // callback), where a blocking shutdown would wait for itself; shut down without waiting.
    deinit { httpClient.shutdown { _ in } }

    /// Fetches a pod's metadata (and its namespace's unless skipped); calls `completion` on an event loop.
    func fetch(
        _ reference: KubernetesPodReference, namespaceToo: Bool,
        completion: @escaping @Sendable (KubernetesMetadataCache.Entry?) -> Void
    ) {
        let eventLoop = httpClient.eventLoopGroup.next()
        let tokenFile = self.tokenFile
        let token = threadPool.runIfActive(eventLoop: eventLoop) {
            (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let podPath = "/api/v1/namespaces/\(reference.namespace)/pods/\(reference.podName)"
        let namespacePath = "/api/v1/namespaces/\(reference.namespace)"
        let logger = self.logger
        token.flatMap { token -> EventLoopFuture<(Data?, Data?)> in
            let pod = self.get(podPath, token: token, on: eventLoop)
            let namespace = namespaceToo ? self.get(namespacePath, token: token, on: eventLoop) : eventLoop.makeSucceededFuture(nil)
            return pod.and(namespace)
        }.whenComplete { result in
            switch result {
            case .success(let (podData, namespaceData)):
                guard let podData, let pod = KubernetesPodMetadata(podJSON: podData) else {
                    completion(nil)
                    return
                }
                let namespace = namespaceData.flatMap { KubernetesPodMetadata.namespace(json: $0) }
                completion(
                    KubernetesMetadataCache.Entry(
                        pod: pod, namespaceID: namespace?.id,
                        namespaceLabels: namespace?.labels ?? [],
                        namespaceAnnotations: namespace?.annotations ?? [], expires: 0))
            case .failure(let error):
                logger.debug("kubernetes_metadata: API request failed", metadata: ["error": "\(error)"])
                completion(nil)
            }
        }
    }

    func get(_ path: String, token: String?, on eventLoop: any EventLoop) -> EventLoopFuture<Data?> {
        do {
            var headers = HTTPHeaders([("Accept", "application/json")])
            if let token, !token.isEmpty { headers.add(name: "Authorization", value: "Bearer \(token)") }
            let request = try HTTPClient.Request(url: baseURL + path, method: .GET, headers: headers)
            return httpClient.execute(request: request, eventLoop: .delegate(on: eventLoop)).map { response in
                guard response.status == .ok, let body = response.body else { return nil }
                return Data(body.readableBytesView)
            }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }
}
