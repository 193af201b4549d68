/// The retry parameters of `<buffer>` (Fluentd's `retry_*`), times in seconds.
public struct RetryPolicy: Sendable, Equatable {
    /// `retry_type`.
    public enum Kind: String, Sendable, CaseIterable {
        case exponentialBackoff = "exponential_backoff", periodic
    }

    public var type: Kind = .exponentialBackoff
    /// `retry_wait`: the first wait, and the factor of the exponential series.
    public var wait: Double = 1
    /// `retry_exponential_backoff_base`.
    public var backoffBase: Double = 2
    /// `retry_max_interval`: cap of one wait (none by default).
    public var maxInterval: Double?
    /// `retry_randomize`: spread each wait by ±12.5% (Fluentd's `randomize_width` 0.125).
    public var randomize: Bool = true
    /// `retry_timeout`: give up (or finish on the secondary) this long after the first failure.
    public var timeout: Double = 72 * 3600
    /// `retry_max_times`: give up after this many retries.
    public var maxTimes: Int?
    /// `retry_forever`: never give up, never use the secondary for timeouts.
    public var forever: Bool = false
    /// `retry_secondary_threshold`: the fraction of the timeout after which `<secondary>` takes over.
    public var secondaryThreshold: Double = 0.8
    /// Fluentd's fixed `randomize_width`.
    public static let randomizeWidth = 0.125

    public init() {}
}
