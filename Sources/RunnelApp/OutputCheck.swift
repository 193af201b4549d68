import Logging
import RunnelPipeline

/// `--dry-run --check-outputs`: asks each output that can whether its destination is reachable
/// and writable with the credentials it would use.
enum OutputCheck {
    static func run(_ pipeline: Pipeline, logger: Logger) async throws {
        for output in pipeline.outputs {
            if let checkable = output.plugin as? any DestinationCheckable {
                let result = try await checkable.checkDestination()
                print("output \(output.id) (\(output.type)): \(result)")
            } else {
                print("output \(output.id) (\(output.type)): nothing to check")
            }
        }
    }
}
