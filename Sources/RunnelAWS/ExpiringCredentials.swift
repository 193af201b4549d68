import Foundation
import Logging
import RunnelSigV4

/// A single-flight refresher of expiring credentials (soto's `ExpiringValue`): one fetch at a
/// time, shared by every concurrent caller, started `refreshAhead` (5 minutes) before expiry,
/// backing off after failures while the old credentials are still valid.
///
/// The clock is injected (`now`), so tests move time instead of waiting.
public actor ExpiringCredentials {
    public typealias Fetch = @Sendable () async throws -> AWSCredentials

    private var state: CredentialCacheStateMachine
    private var inFlight: Task<AWSCredentials, any Error>?
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let source: String
    private let logger: Logger
    /// Callers waiting on the refresh in flight (tests use it to line callers up).
    private(set) var waitingCallersForTesting = 0

    public init(
        source: String, refreshAhead: TimeInterval = 300, minimumBackoff: TimeInterval = 1,
        maximumBackoff: TimeInterval = 60, logger: Logger = Logger(label: "runnel.aws.credentials"), now: @escaping @Sendable () -> Date = Date.init,
        fetch: @escaping Fetch
    ) {
        self.source = source
        self.state = CredentialCacheStateMachine(
            refreshAhead: refreshAhead, minimumBackoff: minimumBackoff, maximumBackoff: maximumBackoff)
        self.logger = logger
        self.now = now
        self.fetch = fetch
    }

    /// Current credentials, refreshed if they are near expiry.
    public func credentials() async throws -> AWSCredentials {
        switch state.request(now: now()) {
        case .use(let credentials):
            return credentials
        case .fail(let error):
            throw error
        case .joinRefresh:
            return try await awaitRefresh()
        case .startRefresh:
            let fetch = self.fetch
            // Not a stray task: it is kept in `inFlight` and every caller awaits it.
            inFlight = Task { try await fetch() }
            return try await awaitRefresh()
        }
    }

    /// Drops the cached credentials; the next call fetches.
    public func invalidate() {
        state.invalidate()
    }

    private func awaitRefresh() async throws -> AWSCredentials {
        guard let task = inFlight else { return try await credentials() }
        waitingCallersForTesting += 1
        let result = await task.result
        waitingCallersForTesting -= 1
        // The first caller back records the outcome; the others see it done.
        if inFlight == task {
            inFlight = nil
            switch result {
            case .success(let credentials):
                state.refreshed(credentials)
                logger.debug(
                    "AWS credentials refreshed",
                    metadata: [
                        "aws.credentials.source": "\(source)",
                        "aws.credentials.expiration": "\(credentials.expiration.map { "\($0)" } ?? "never")",
                    ])
            case .failure(let error):
                let fallback = state.refreshFailed(error, now: now())
                if let fallback {
                    logger.warning(
                        "AWS credentials refresh failed; using the current credentials until they expire",
                        metadata: [
                            "aws.credentials.source": "\(source)", "error": "\(error)",
                            "aws.credentials.expiration": "\(fallback.expiration.map { "\($0)" } ?? "never")",
                        ])
                    return fallback
                }
            }
        }
        switch result {
        case .success(let credentials): return credentials
        case .failure(let error):
            if let cached = state.cached, cached.expiration.map({ now() < $0 }) ?? true { return cached }
            throw error
        }
    }
}
