import Foundation

/// One benchmark: a named body that does a fixed amount of work and says how much.
struct Benchmark: Sendable {
    var name: String
    /// Does the work once and returns what it processed.
    var body: @Sendable () async throws -> Work

    init(_ name: String, body: @escaping @Sendable () async throws -> Work) {
        self.name = name
        self.body = body
    }
}

/// What one run of a benchmark processed.
struct Work: Sendable {
    /// Events, lines, records or requests.
    var items: Int
    var bytes: Int
}

/// The figures of one benchmark: medians over the runs.
struct Measurement: Sendable, Codable {
    var name: String
    var itemsPerSecond: Double
    var megabytesPerSecond: Double
    /// user + system CPU seconds of this process per million items.
    var cpuSecondsPerMillion: Double
    var peakRSSMiB: Double
}

enum ProcessStats {
    #if os(Linux)
        static let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
        static let rusageSelf = RUSAGE_SELF
    #endif

    /// user + system CPU seconds used by this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(rusageSelf, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size of this process in MiB.
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(rusageSelf, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
    }
}

/// Runs a benchmark `runs` times (after one warm-up) and reports the median of each figure.
func measure(_ benchmark: Benchmark, runs: Int) async throws -> Measurement {
    _ = try await benchmark.body()
    var rates: [Double] = []
    var throughputs: [Double] = []
    var cpus: [Double] = []
    for _ in 0..<runs {
        let cpu0 = ProcessStats.cpuSeconds()
        let wall0 = ProcessStats.wallSeconds()
        let work = try await benchmark.body()
        let wall = ProcessStats.wallSeconds() - wall0
        let cpu = ProcessStats.cpuSeconds() - cpu0
        rates.append(Double(work.items) / wall)
        throughputs.append(Double(work.bytes) / wall / 1_048_576)
        cpus.append(cpu / Double(max(work.items, 1)) * 1_000_000)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return Measurement(
        name: benchmark.name, itemsPerSecond: median(rates), megabytesPerSecond: median(throughputs),
        cpuSecondsPerMillion: median(cpus), peakRSSMiB: ProcessStats.peakRSSMiB())
}
