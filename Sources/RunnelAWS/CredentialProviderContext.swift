import AsyncHTTPClient
import Foundation
import Logging

/// What every provider built from configuration shares: the HTTP client, the logger, the
/// environment (a value, so tests pass their own) and the clock.
public struct CredentialProviderContext: Sendable {
    public var httpClient: HTTPClient
    public var logger: Logger
    public var environment: [String: String]
    public var now: @Sendable () -> Date
    /// The region STS calls go to when nothing more specific is configured: the output's
    /// `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION` (else us-east-1 at the call).
    public var region: String?
    /// How long a `credential_process` may run.
    public var processTimeout: Duration = .seconds(60)
    /// IMDS settings for the default chain and `credential_source = Ec2InstanceMetadata`.
    public var instanceMetadata = InstanceMetadataCredentialProvider.Settings()

    public init(
        httpClient: HTTPClient, logger: Logger, environment: [String: String], region: String? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.httpClient = httpClient
        self.logger = logger
        self.environment = environment
        self.region = [region, environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
            .lazy.compactMap { $0 }.first { !$0.isEmpty }
        self.now = now
        if let disabled = environment["AWS_EC2_METADATA_V1_DISABLED"] {
            instanceMetadata.disableV1 = disabled.lowercased() == "true"
        }
        if let endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"], let url = URL(string: endpoint), let host = url.host {
            instanceMetadata.ipAddress = host
            instanceMetadata.port = url.port ?? 80
        }
    }

    /// An STS client for `region` (else the context's region, else us-east-1).
    func sts(region: String? = nil, endpoint: URL? = nil, proxy: URL? = nil) -> STSClient {
        STSClient(
            region: region ?? self.region ?? "us-east-1",
            endpoint: endpoint ?? environment["AWS_ENDPOINT_URL_STS"].flatMap(URL.init(string:)), proxy: proxy,
            httpClient: httpClient, now: now)
    }

    /// The default session name when none is configured.
    func sessionName() -> String {
        "runnel-\(Int(now().timeIntervalSince1970))"
    }
}
