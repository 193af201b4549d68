/// An input whose source can be checked before running (`runnel --dry-run --check`): that it
/// exists and that the configured credentials may read it.
public protocol SourceCheckable: Sendable {
    /// Returns a one-line description of what was checked; throws an error that says what is wrong.
    func checkSource() async throws -> String
}
