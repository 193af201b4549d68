import Foundation

/// `runnel-loadgen` options. Forward mode sends PackedForward messages over TCP; file mode
/// appends lines to a file and rotates it.
struct LoadgenOptions: Sendable {
    var host = "127.0.0.1"
    var port = 24224
    var connections = 1
    /// Total events to send (across connections).
    var events = 100_000
    /// Events per Forward message.
    var batch = 500
    /// Approximate MessagePack size of one record in bytes.
    var recordSize = 200
    var ack = false
    /// Messages in flight per connection when acking.
    var window = 8
    /// Events per second across all connections; 0 means as fast as possible.
    var rate = 0
    var tag = "bench.load"
    /// Start of the sequence numbers written into each record's `seq` field.
    var sequenceStart = 0
    /// Append "first last" lines for every acknowledged message (with --ack).
    var ackedLog: String?
    /// Append "first count unix-time" lines for every message sent (for latency measurement).
    var sentLog: String?
    /// File mode: write lines to this path instead of sending Forward messages.
    var filePath: String?
    /// File mode: rotate (rename to .1 and start anew) after this many lines; 0 never.
    var rotateEvery = 0
    /// HTTP mode: POST JSON arrays of `batch` records to `/TAG` on `port` (an in_http input).
    var http = false

    static let usage = """
        usage: runnel-loadgen [--host H] [--port P] [--connections N] [--events N] [--batch N]
                              [--record-size BYTES] [--ack] [--window N] [--rate EVENTS_PER_S]
                              [--tag TAG] [--seq-start N] [--acked-log FILE] [--sent-log FILE]
               runnel-loadgen --file PATH [--events N] [--rate N] [--record-size BYTES] [--rotate-every N]
               runnel-loadgen --http [--port P] [--connections N] [--events N] [--batch N] [--record-size BYTES] [--rate N] [--tag TAG]
        Prints one JSON line: events sent, acknowledged, seconds, events/s, MB/s.
        """

    static func parse(_ arguments: [String]) throws -> LoadgenOptions {
        var options = LoadgenOptions()
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let next = iterator.next() else { throw LoadgenError("\(name) needs a value") }
            return next
        }
        func number(_ name: String) throws -> Int {
            let text = try value(name)
            guard let parsed = Int(text), parsed >= 0 else { throw LoadgenError("\(name) needs a whole number, got '\(text)'") }
            return parsed
        }
        while let argument = iterator.next() {
            switch argument {
            case "--host": options.host = try value(argument)
            case "--port": options.port = try number(argument)
            case "--connections": options.connections = max(1, try number(argument))
            case "--events": options.events = try number(argument)
            case "--batch": options.batch = max(1, try number(argument))
            case "--record-size": options.recordSize = max(64, try number(argument))
            case "--ack": options.ack = true
            case "--window": options.window = max(1, try number(argument))
            case "--rate": options.rate = try number(argument)
            case "--tag": options.tag = try value(argument)
            case "--seq-start": options.sequenceStart = try number(argument)
            case "--acked-log": options.ackedLog = try value(argument)
            case "--sent-log": options.sentLog = try value(argument)
            case "--file": options.filePath = try value(argument)
            case "--rotate-every": options.rotateEvery = try number(argument)
            case "--http": options.http = true
            case "-h", "--help": throw LoadgenError(usage)
            default: throw LoadgenError("unknown option \(argument)\n\(usage)")
            }
        }
        return options
    }
}

struct LoadgenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
