import Foundation
import RunnelConfig
import RunnelCore
import RunnelFormat
import RunnelPipeline

/// `<filter> @type stdout` (Fluentd's filter_stdout): prints each event as out_stdout does,
/// `2017-11-28 11:43:13.814351757 +0900 tag: {"field1":"value1"}` in local time, and passes the
/// events on unchanged. `<format>` may be `@type stdout` (the default) with `output_type json`
/// (the default) or `hash`, or `@type json` / `hash` directly. Fluentd writes these lines to
/// its own log; Runnel writes them to standard output, where its own logs are not (stderr).
public struct StdoutFilter: FilterPlugin {
    public enum Format: String, CaseIterable, Sendable { case json, hash }

    let format: Format
    let write: @Sendable ([UInt8]) -> Void

    init(format: Format = .json, write: @escaping @Sendable ([UInt8]) -> Void = StdoutFilter.writeToStandardOutput) {
        self.format = format
        self.write = write
    }

    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try StdoutFilter(context.element)
    }

    init(_ element: ConfigElement, write: @escaping @Sendable ([UInt8]) -> Void = StdoutFilter.writeToStandardOutput) throws {
        var format = Format.json
        if let output = element.string("output_type") {
            guard let chosen = Format(rawValue: output) else { throw element.invalid("output_type", output, expected: "json or hash") }
            format = chosen
        }
        if let section = element.element(named: "format") {
            let type = section.pluginType ?? "stdout"
            switch type {
            case "stdout":
                let output = section.string("output_type", default: "json")
                guard let chosen = Format(rawValue: output) else { throw section.invalid("output_type", output, expected: "json or hash") }
                format = chosen
            case "json", "hash":
                format = Format(rawValue: type)!
            default:
                throw section.invalid("@type", type, expected: "stdout, json or hash")
            }
        }
        self.init(format: format, write: write)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        var out: [UInt8] = []
        out.reserveCapacity(stream.entries.count * 2)
        let tag = Array(stream.tag.utf8)
        try stream.forEachEntry { time, reader in
            StdoutFilter.timeFormatter.append(time, to: &out)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: tag)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            switch format {
            case .json: try JSONWriter.appendValue(from: &reader, to: &out)
            case .hash: try RubyText.appendInspect(from: &reader, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
        write(out)
        return [stream]
    }

    @Sendable public static func writeToStandardOutput(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    static let timeFormatter = TimeFormatter(format: "%Y-%m-%d %H:%M:%S.%N %z", zone: .local)
}
