import Logging
import RunnelPipeline

/// `--dry-run --check`: asks each input and output that can whether its source or destination is
/// reachable (readable, writable) with the credentials it would use. Every plugin is checked and
/// each failure printed on its plugin's line, so one run names every problem.
enum OutputCheck {
    static func run(_ pipeline: Pipeline, logger: Logger) async throws {
        var failures = 0
        for input in pipeline.inputs {
            guard let checkable = input.plugin as? any SourceCheckable else { continue }
            do {
                print("input \(input.id) (\(input.type)): \(try await checkable.checkSource())")
            } catch {
                print("input \(input.id) (\(input.type)): \(error)")
                failures += 1
            }
        }
        for output in pipeline.outputs {
            if let checkable = output.plugin as? any DestinationCheckable {
                do {
                    print("output \(output.id) (\(output.type)): \(try await checkable.checkDestination())")
                } catch {
                    print("output \(output.id) (\(output.type)): \(error)")
                    failures += 1
                }
            } else {
                print("output \(output.id) (\(output.type)): nothing to check")
            }
        }
        if failures > 0 { throw CheckFailed(count: failures) }
    }

    struct CheckFailed: Error, CustomStringConvertible {
        let count: Int
        var description: String { count == 1 ? "1 check failed" : "\(count) checks failed" }
    }
}
