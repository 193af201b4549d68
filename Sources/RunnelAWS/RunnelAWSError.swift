import Foundation

/// Why credentials could not be had. Cases carry the facts an operator needs (the role, the
/// endpoint, the AWS error code and message, the command's stderr), never a key, token or
/// signature; `description` says what happened and what to do.
public enum RunnelAWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source is not configured here (no variable, no file, no metadata service): a chain
    /// goes on to its next source.
    case credentialsNotFound(source: String, reason: String)
    /// Every source of a chain was tried; each reason is listed.
    case noCredentialsInChain(tried: [String])
    /// A configuration value that cannot work (a profile without keys, an unknown credential_source).
    case invalidConfiguration(source: String, reason: String)
    /// The named profile is in none of the files read.
    case profileNotFound(profile: String, files: [String])
    /// `source_profile` chains that come back to a profile already on the way.
    case profileCycle(profiles: [String])
    /// A file that exists but cannot be read.
    case fileUnreadable(path: String, reason: String)
    /// An STS call answered with an AWS error.
    case stsFailure(operation: String, roleARN: String, status: Int, code: String, message: String)
    /// An HTTP endpoint (IMDS, container endpoint, STS) answered with an unexpected status.
    case httpStatus(source: String, endpoint: String, status: Int, body: String)
    /// The endpoint could not be reached.
    case connectionFailed(source: String, endpoint: String, reason: String)
    /// The endpoint did not answer in time.
    case timedOut(source: String, endpoint: String, seconds: Double)
    /// The answer arrived but is not what the source returns (bad JSON, missing fields).
    case invalidResponse(source: String, reason: String)
    /// `credential_process` exited with a non-zero status; `stderr` is its last output there.
    case processFailed(command: String, exitCode: Int32, stderr: String)
    /// `credential_process` did not exit in time and was terminated.
    case processTimedOut(command: String, seconds: Double)
    /// `credential_process` could not be started.
    case processNotStarted(command: String, reason: String)
    /// Temporary credentials that are already expired.
    case expired(source: String, expiration: Date)

    /// Whether asking again later may succeed (network trouble, throttling, a server error).
    public var isRetryable: Bool {
        switch self {
        case .connectionFailed, .timedOut, .processTimedOut, .expired: return true
        case .httpStatus(_, _, let status, _): return status >= 500 || status == 429 || status == 408
        case .stsFailure(_, _, let status, let code, _):
            return status >= 500
                || [
                    "Throttling", "ThrottlingException", "RequestLimitExceeded",
                    "IDPCommunicationError", "ServiceUnavailable", "InternalFailure",
                ].contains(code)
        case .processFailed: return true
        case .credentialsNotFound, .noCredentialsInChain, .invalidConfiguration, .profileNotFound, .profileCycle,
            .fileUnreadable, .invalidResponse, .processNotStarted:
            return false
        }
    }

    /// Whether a chain should try its next source instead of failing.
    public var isNotFound: Bool {
        if case .credentialsNotFound = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .credentialsNotFound(let source, let reason):
            return "no AWS credentials from \(source): \(reason)"
        case .noCredentialsInChain(let tried):
            return "no AWS credentials found; tried: " + tried.joined(separator: "; ")
                + ". Set aws_key_id/aws_sec_key, a <shared_credentials> profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                + " or run where an instance profile or container role is available"
        case .invalidConfiguration(let source, let reason):
            return "AWS credentials from \(source) are misconfigured: \(reason)"
        case .profileNotFound(let profile, let files):
            return "AWS profile '\(profile)' not found in \(files.joined(separator: ", ")): check profile_name/AWS_PROFILE and the files"
        case .profileCycle(let profiles):
            return "AWS profiles refer to each other in a loop through source_profile: \(profiles.joined(separator: " -> "))"
        case .fileUnreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .stsFailure(let operation, let roleARN, let status, let code, let message):
            return "STS \(operation) for \(roleARN) failed (\(code), HTTP \(status)): \(message)"
        case .httpStatus(let source, let endpoint, let status, let body):
            return "\(source) at \(endpoint) answered HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .connectionFailed(let source, let endpoint, let reason):
            return "cannot reach \(source) at \(endpoint): \(reason)"
        case .timedOut(let source, let endpoint, let seconds):
            return "\(source) at \(endpoint) did not answer within \(seconds)s"
        case .invalidResponse(let source, let reason):
            return "\(source) returned an unusable answer: \(reason)"
        case .processFailed(let command, let exitCode, let stderr):
            return "credential process '\(command)' exited with status \(exitCode)"
                + (stderr.isEmpty ? "" : "; stderr: \(stderr)")
        case .processTimedOut(let command, let seconds):
            return "credential process '\(command)' did not finish within \(seconds)s and was terminated"
        case .processNotStarted(let command, let reason):
            return "credential process '\(command)' could not be started: \(reason)"
        case .expired(let source, let expiration):
            return "credentials from \(source) expired at \(ISO8601DateFormatter().string(from: expiration))"
        }
    }
}
