import Logging
import RunnelPipeline

/// `--dry-run --check`: asks each input and output that can whether its source or destination is
/// reachable (readable, writable) with the credentials it would use. Every plugin is checked and
/// each failure printed on its plugin's line, so one run names every problem.
enum OutputCheck {
    static func run(_ pipeline: Pipeline, logger: Logger) async throws {
        var failures = 0
        /// Prints what `check` says on the plugin's line, or its error, counted.
        func report(_ label: String, _ check: () async throws -> String) async {
            do {
                print("\(label): \(try await check())")
            } catch {
                print("\(label): \(error)")
                failures += 1
            }
        }
        for input in pipeline.inputs {
            guard let checkable = input.plugin as? any SourceCheckable else { continue }
            await report("input \(input.id) (\(input.type))") { try await checkable.checkSource() }
        }
        for output in pipeline.outputs {
            let checkable = output.plugin as? any DestinationCheckable
            await report("output \(output.id) (\(output.type))") { try await checkable?.checkDestination() ?? "nothing to check" }
        }
        if failures > 0 { throw CheckFailed(count: failures) }
    }

    struct CheckFailed: Error, CustomStringConvertible {
        let count: Int
        var description: String { count == 1 ? "1 check failed" : "\(count) checks failed" }
    }
}
