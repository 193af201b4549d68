import RunnelConfig
import RunnelCore

/// `@type none`: the whole line as one field (`message_key`, default `message`), time = now.
public struct NoneParser: LineParser {
    public let messageKey: String
    let encodedKey: [UInt8]

    public init(messageKey: String = "message") {
        self.messageKey = messageKey
        var writer = MessagePackWriter()
        writer.write(messageKey)
        encodedKey = writer.bytes
    }

    public init(_ element: ConfigElement) {
        self.init(messageKey: element.string("message_key", default: "message"))
    }

    @inline(__always)
    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        output.appendSingleField(time: now, encodedKey: encodedKey, value: line)
        return .emitted
    }
}
