import ArgumentParser
import Foundation
import RunnelCore
import RunnelForward
import RunnelParsers

/// `runnel cat TAG`: reads events from stdin and sends them to a Forward endpoint, like Fluentd's
/// `fluent-cat`. Each line is a JSON object (`--format json`, the default), or becomes
/// `{"message": line}` (`--format none`).
public struct CatCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Send JSON lines from stdin to a Forward endpoint (like fluent-cat).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, none }
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case message, forward, packed, compressed
        var forwardMode: ForwardMessage.Mode {
            switch self {
            case .message: return .message
            case .forward: return .forward
            case .packed: return .packedForward
            case .compressed: return .compressedPackedForward
            }
        }
    }

    @Argument(help: "The tag of the events.")
    var tag: String

    @Option(name: [.customShort("h"), .long], help: "Host of the Forward endpoint.")
    var host = "127.0.0.1"

    @Option(name: [.short, .long], help: "Port of the Forward endpoint.")
    var port = 24224

    @Option(name: [.short, .long], help: "Unix socket path instead of host and port.")
    var unix: String?

    @Option(help: "Input format: json (an object per line) or none (each line as the message key).")
    var format: Format = .json

    @Option(name: .customLong("message-key"), help: "The key of the line with --format none.")
    var messageKey = "message"

    @Option(help: "Forward mode: message, forward, packed or compressed (gzip).")
    var mode: Mode = .packed

    @Option(help: "Events per Forward message (forward, packed and compressed modes).")
    var batch = 100

    @Flag(help: "Wait for the endpoint to acknowledge each message.")
    var ack = false

    @Option(name: .customLong("shared-key"), help: "Shared key for the <security> handshake.")
    var sharedKey: String?

    @Option(name: .customLong("self-hostname"), help: "Hostname this client gives in the handshake.")
    var selfHostname = ProcessInfo.processInfo.hostName

    @Option(help: "Username for user authentication (with --shared-key).")
    var username: String?

    @Option(help: "Password for user authentication (with --shared-key).")
    var password: String?

    @Flag(help: "Connect with TLS.")
    var tls = false

    @Option(name: .customLong("tls-ca"), help: "CA certificate (PEM) to verify the endpoint with (default: the system's).")
    var tlsCA: String?

    @Flag(name: .customLong("tls-insecure"), help: "Do not verify the endpoint's certificate.")
    var tlsInsecure = false

    public init() {}

    public func run() async throws {
        let configuration = ForwardClientConfiguration(
            endpoint: unix.map { .unix(path: $0) } ?? .tcp(host: host, port: port),
            tls: tls ? ForwardTLSConfiguration(caPath: tlsCA, insecure: tlsInsecure) : nil,
            tlsServerName: tls ? host : nil, requireAck: ack, selfHostname: selfHostname,
            sharedKey: sharedKey.map(Secret.init), username: username, password: password.map(Secret.init))
        let batchSize = mode == .message ? 1 : max(1, batch)
        var sent = 0
        let tag = self.tag
        let format = self.format
        let messageKey = self.messageKey
        let mode = self.mode.forwardMode
        try await ForwardClient.withConnection(configuration) { client in
            var parser = JSONParser()
            var output = ParserOutput()
            var lineNumber = 0
            func flush(_ client: inout ForwardClient) async throws {
                let stream = EventStream(tag: tag, entries: output.writer.bytes, count: output.count)
                output = ParserOutput()
                try await client.send(stream, mode: mode)
                sent += stream.count
            }
            while var line = readLine() {
                lineNumber += 1
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                switch format {
                case .none:
                    output.append(time: EventTime.now(), record: .record([messageKey: .string(line)]))
                case .json:
                    let outcome = line.withUTF8 { parser.parse(UnsafeRawBufferPointer($0), now: EventTime.now(), into: &output) }
                    guard outcome == .emitted else {
                        throw CatError(description: "line \(lineNumber) of stdin is not a JSON object: \(line.prefix(80))")
                    }
                }
                if output.count >= batchSize { try await flush(&client) }
            }
            if output.count > 0 { try await flush(&client) }
        }
        FileHandle.standardError.write(Data("runnel cat: sent \(sent) events tagged \(tag)\(ack ? ", all acknowledged" : "")\n".utf8))
    }
}

/// A line `runnel cat` cannot send.
struct CatError: Error, CustomStringConvertible {
    var description: String
}
