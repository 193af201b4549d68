import Foundation
import RunnelSigV4

/// The rules of a cached, refreshed credential, as a value: given the time, what to do.
///
/// - Fresh credentials (more than `refreshAhead` before expiry, or without expiry) are used.
/// - Inside the refresh window a refresh is started (or joined); if it fails the old, still
///   valid credentials are used and the next attempt waits a growing back-off.
/// - Without valid credentials a refresh is started (or joined), unless the last one failed
///   less than a back-off ago: then that failure is reported again, so many callers do not
///   hammer STS or the metadata service.
struct CredentialCacheStateMachine {
    enum Action {
        case use(AWSCredentials)
        case startRefresh
        case joinRefresh
        case fail(any Error)
    }

    var refreshAhead: TimeInterval
    var minimumBackoff: TimeInterval
    var maximumBackoff: TimeInterval

    private(set) var cached: AWSCredentials?
    private(set) var refreshing = false
    private var failures = 0
    private var retryAfter: Date?
    private var lastError: (any Error)?

    init(refreshAhead: TimeInterval = 300, minimumBackoff: TimeInterval = 1, maximumBackoff: TimeInterval = 60) {
        self.refreshAhead = refreshAhead
        self.minimumBackoff = minimumBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// A caller wants credentials at `now`.
    mutating func request(now: Date) -> Action {
        if let cached, isFresh(cached, now: now) { return .use(cached) }
        if refreshing { return .joinRefresh }
        let valid = cached.map { isValid($0, now: now) } ?? false
        if let retryAfter, now < retryAfter {
            if valid, let cached { return .use(cached) }
            if let lastError { return .fail(lastError) }
        }
        refreshing = true
        return .startRefresh
    }

    /// A refresh brought new credentials.
    mutating func refreshed(_ credentials: AWSCredentials) {
        cached = credentials
        refreshing = false
        failures = 0
        retryAfter = nil
        lastError = nil
    }

    /// A refresh failed at `now`: the credentials to fall back on, if any are still valid.
    mutating func refreshFailed(_ error: any Error, now: Date) -> AWSCredentials? {
        refreshing = false
        failures += 1
        lastError = error
        let backoff = min(maximumBackoff, minimumBackoff * pow(2, Double(min(failures - 1, 30))))
        retryAfter = now.addingTimeInterval(backoff)
        if let cached, isValid(cached, now: now) { return cached }
        return nil
    }

    /// Forget the credentials (after the service said they expired) and any back-off.
    mutating func invalidate() {
        cached = nil
        failures = 0
        retryAfter = nil
        lastError = nil
    }

    /// The time of the next allowed attempt after a failure (for tests and logs).
    var nextAttempt: Date? { retryAfter }

    private func isFresh(_ credentials: AWSCredentials, now: Date) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return now < expiration.addingTimeInterval(-refreshAhead)
    }

    private func isValid(_ credentials: AWSCredentials, now: Date) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return now < expiration
    }
}
