import Foundation

// runnel-bench [--runs N] [--json FILE] [FILTER...]
// Runs every benchmark whose name contains one of the FILTER words (all when none) and prints
// a table of medians. Each component contributes a list in its own file.
let allBenchmarks: [Benchmark] =
    coreBenchmarks() + configBenchmarks() + forwardBenchmarks() + tailBenchmarks() + kinesisBenchmarks() + awsBenchmarks()
    + bufferBenchmarks()

var runs = 3
var jsonPath: String?
var filters: [String] = []
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--runs": runs = Int(arguments.next() ?? "") ?? runs
    case "--json": jsonPath = arguments.next()
    case "--list":
        for benchmark in allBenchmarks { print(benchmark.name) }
        exit(0)
    default: filters.append(argument)
    }
}

let selected = allBenchmarks.filter { benchmark in filters.isEmpty || filters.contains { benchmark.name.contains($0) } }
if selected.isEmpty {
    FileHandle.standardError.write(Data("no benchmark matches \(filters)\n".utf8))
    exit(1)
}

func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
print(pad("benchmark", 44) + pad("items/s", 14) + pad("MiB/s", 10) + pad("CPU s/M", 10) + "peak RSS MiB")
var results: [Measurement] = []
for benchmark in selected {
    let result = try await measure(benchmark, runs: runs)
    results.append(result)
    print(
        pad(result.name, 44) + pad(String(format: "%.0f", result.itemsPerSecond), 14)
            + pad(String(format: "%.1f", result.megabytesPerSecond), 10)
            + pad(String(format: "%.3f", result.cpuSecondsPerMillion), 10) + String(format: "%.1f", result.peakRSSMiB))
}
if let jsonPath {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(results).write(to: URL(fileURLWithPath: jsonPath))
}
