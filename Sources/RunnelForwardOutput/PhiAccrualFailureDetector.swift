import Foundation

/// out_forward's phi accrual failure detector (`FailureDetector` in out_forward.rb): a window of
/// the gaps between heartbeats, their weighted mean, and phi for the time since the last one.
/// Times are seconds on any monotonic scale; nothing here reads a clock.
struct PhiAccrualFailureDetector: Sendable {
    static let sampleSize = 1000
    static let phiFactor = 1.0 / log(10.0)

    let heartbeatInterval: Double
    let hardTimeout: Double
    /// Gaps between heartbeats, in microseconds as Fluentd keeps them.
    private(set) var window: [Int]
    /// When the last heartbeat came (nil once cleared).
    private var last: Double?

    init(heartbeatInterval: Double, hardTimeout: Double, now: Double) {
        self.heartbeatInterval = heartbeatInterval
        self.hardTimeout = hardTimeout
        window = [Self.gap(heartbeatInterval)]
        last = now
    }

    var sampleCount: Int { window.count }

    /// No heartbeat for longer than `hard_timeout` (always true once cleared, until one comes).
    func isHardTimeout(now: Double) -> Bool {
        guard let last else { return true }
        return now - last > hardTimeout
    }

    mutating func add(now: Double) {
        if window.isEmpty || last == nil {
            window = [Self.gap(heartbeatInterval)]
        } else if let last {
            window.append(Self.gap(now - last))
            if window.count > Self.sampleSize { window.removeFirst() }
        }
        last = now
    }

    /// Phi: how unlikely the silence since the last heartbeat is, given the gaps seen so far.
    func phi(now: Double) -> Double {
        guard !window.isEmpty, let last else { return 0 }
        var weighted = 0
        var factor = 0
        for (index, gap) in window.enumerated() {
            weighted += gap * (index + 1)
            factor += index + 1
        }
        let mean = Double(weighted / factor) / 1e6 - heartbeatInterval + 1
        let elapsed = now - last - heartbeatInterval + 1
        return Self.phiFactor * elapsed / mean
    }

    mutating func clear() {
        window.removeAll()
        last = nil
    }

    private static func gap(_ seconds: Double) -> Int { Int(seconds * 1e6) }
}
