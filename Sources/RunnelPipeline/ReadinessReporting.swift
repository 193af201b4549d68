/// A plugin that can be not ready, for the monitoring endpoint's `/readyz`: an input that does
/// not listen yet, an output whose data has waited while every attempt to send it failed.
public protocol ReadinessReporting: Sendable {
    /// Why the plugin is not ready, or nil when it is. `stallTimeout`: how many seconds an
    /// output may have data waiting while nothing gets through before it counts as stalled.
    func notReadyReason(stallTimeout: Double) -> String?
}
