/// An output whose destination can be checked before running (`runnel --dry-run --check`):
/// that it exists and that the configured credentials may write to it.
public protocol DestinationCheckable: Sendable {
    /// Returns a one-line description of what was checked; throws an error that says what is wrong.
    func checkDestination() async throws -> String
}
