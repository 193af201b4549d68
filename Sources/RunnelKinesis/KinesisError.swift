import RunnelBuffer

/// What went wrong talking to Kinesis Data Streams or Firehose, classified where it is defined
/// so callers never match strings.
public struct KinesisError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The service answered with an error document (`__type` / `message`) and an HTTP status.
        case service(code: String, status: Int)
        /// No usable answer: connect failure, reset, timeout, unreadable body.
        case transport
        /// The credential provider could not give credentials.
        case credentials
    }

    public var kind: Kind
    public var message: String
    /// The stream or delivery stream the request was for.
    public var stream: String
    public var region: String

    public init(_ kind: Kind, message: String, stream: String, region: String) {
        self.kind = kind
        self.message = message
        self.stream = stream
        self.region = region
    }

    /// The AWS error code without any namespace prefix (`ResourceNotFoundException`).
    public var code: String? {
        guard case .service(let code, _) = kind else { return nil }
        return code
    }

    /// Credentials expired: refresh them and retry at once.
    public var isExpiredToken: Bool {
        guard let code else { return false }
        return code == "ExpiredTokenException" || code == "ExpiredToken" || code == "RequestExpired"
            || code == "InvalidSignatureException" && message.contains("expired")
    }

    /// Worth retrying later with the same request: throttling, 5xx, transport trouble.
    public var isRetryable: Bool {
        switch kind {
        case .transport, .credentials: return true
        case .service(let code, let status):
            if status >= 500 || status == 429 { return true }
            return Self.retryableCodes.contains(code) || isExpiredToken
        }
    }

    static let retryableCodes: Set<String> = [
        "ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException",
        "KMSThrottlingException", "ServiceUnavailableException", "ServiceUnavailable", "InternalFailure",
        "InternalFailureException", "RequestTimeout", "RequestTimeoutException", "SlowDown",
        "TooManyRequestsException", "KMSOptInRequired",
    ]

    /// What an operator should do, for permanent errors.
    var advice: String {
        switch code {
        case "ResourceNotFoundException": return "check stream_name and region"
        case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
            "IncompleteSignature", "MissingAuthenticationToken":
            return "check the credentials and their IAM permissions for this stream"
        case "KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException", "KMSInvalidStateException":
            return "check the stream's KMS key and the permission to use it"
        default: return "check the configuration"
        }
    }

    public var description: String {
        switch kind {
        case .service(let code, let status):
            let what: String
            switch code {
            case "ResourceNotFoundException": what = "stream '\(stream)' not found in \(region)"
            default: what = "request to stream '\(stream)' in \(region) failed with HTTP \(status)"
            }
            if isRetryable { return "\(what) (\(code))" + (message.isEmpty ? "" : ": \(message)") }
            return "\(what) (\(code)): \(advice)" + (message.isEmpty ? "" : " (AWS: \(message))")
        case .transport:
            return "request to stream '\(stream)' in \(region) failed: \(message)"
        case .credentials:
            return "no AWS credentials for stream '\(stream)' in \(region): \(message)"
        }
    }

    /// As a `DeliveryError` for the buffer.
    var deliveryError: DeliveryError {
        DeliveryError(description, code: code ?? (kind == .transport ? "transport" : "credentials"))
    }
}
