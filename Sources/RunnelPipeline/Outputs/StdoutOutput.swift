import Foundation
import RunnelConfig
import RunnelCore
import ServiceLifecycle

/// `@type stdout`: prints each event as Fluentd's out_stdout does,
/// `2017-11-28 11:43:13.814351757 +0900 tag: {"field1":"value1"}`, in local time.
///
/// `<format>` may choose `@type json` (the default) or `hash` (Ruby's inspect form,
/// `{"field1"=>"value1"}`). Each batch is written with one write.
public struct StdoutOutput: OutputPlugin {
    public enum Format: String, CaseIterable, Sendable { case json, hash }

    let format: Format
    let write: @Sendable ([UInt8]) -> Void

    public init(format: Format = .json, write: @escaping @Sendable ([UInt8]) -> Void = StdoutOutput.writeToStandardOutput) {
        self.format = format
        self.write = write
    }

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        var format = Format.json
        if let section = context.element.element(named: "format") {
            let type = section.pluginType ?? "json"
            guard let chosen = Format(rawValue: type) else {
                throw section.invalid("@type", type, expected: "json or hash")
            }
            format = chosen
            _ = section.rawValue("output_type")
        }
        // Fluentd accepts <buffer> on out_stdout; events are printed as they come here.
        if let buffer = context.element.element(named: "buffer") {
            for parameter in buffer.parameters { buffer.markUsed(parameter.key) }
        }
        return StdoutOutput(format: format)
    }

    public func emit(_ stream: EventStream) async throws {
        var out: [UInt8] = []
        out.reserveCapacity(stream.entries.count * 2)
        let tag = Array(stream.tag.utf8)
        try stream.forEachEntry { time, reader in
            StdoutOutput.appendTime(time, to: &out)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: tag)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            switch format {
            case .json: try JSONWriter.appendValue(from: &reader, to: &out)
            case .hash: out.append(contentsOf: RubyInspect.string(try reader.readValue()).utf8)
            }
            out.append(UInt8(ascii: "\n"))
        }
        write(out)
    }

    public func run() async throws {
        try? await gracefulShutdown()
    }

    @Sendable public static func writeToStandardOutput(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// `%Y-%m-%d %H:%M:%S.%N %z` in local time.
    static func appendTime(_ time: EventTime, to out: inout [UInt8]) {
        timeFormatter.append(time, to: &out)
    }

    static let timeFormatter = TimeFormatter(format: "%Y-%m-%d %H:%M:%S.%N %z", zone: .local)
}

/// Ruby's `inspect` form of a record, as Fluentd's hash formatter prints it.
enum RubyInspect {
    static func string(_ value: MessagePackValue) -> String {
        switch value {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .float(let f): return String(Double(f))
        case .double(let d): return String(d)
        case .string(let s): return JSONWriter.string(.string(s))
        case .binary(let b): return JSONWriter.string(.string(String(decoding: b, as: UTF8.self)))
        case .array(let elements): return "[" + elements.map(string).joined(separator: ", ") + "]"
        case .map(let pairs): return "{" + pairs.map { string($0.key) + "=>" + string($0.value) }.joined(separator: ", ") + "}"
        case .extension: return "nil"
        }
    }
}
