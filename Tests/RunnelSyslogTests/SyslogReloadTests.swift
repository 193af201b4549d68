import Foundation
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import Testing

@testable import RunnelSyslog

/// A reload builds the new pipeline's inputs before the old ones stop: the TCP listening socket
/// is kept, so a connection made in between waits in its backlog for the new input.
@Suite(.serialized) struct SyslogReloadTests {
    @Test func whatArrivesBetweenTwoPipelinesReachesTheNewOne() async throws {
        let transport = "tcp"
        let listeners = ListenerSockets()
        let port = try freePort()
        let section = {
            source(["tag": "sys", "port": "\(port)"], [ConfigElement("transport", transport, [:])])
        }
        let address = "\(transport) 127.0.0.1:\(port)"
        let old = RecordingSink()
        let new = RecordingSink()
        let options = ["--\(transport)", "--rfc3164", "-t", "app", "-p", "user.info"]
        // The new pipeline's input is built (and reserves the address) while the old one runs.
        let next = try SocketInput(
            configuration: try SocketInputConfiguration.syslog(section()).0, interpreter: try SocketInputConfiguration.syslog(section()).1,
            sink: new, logger: LogCapture().logger(), listeners: listeners)
        try await withSocketInput(try SocketInputConfiguration.syslog(section()), sink: old, listeners: listeners) { _ in
            try await logger(port: port, options, "to the old pipeline")
            _ = try await old.events(count: 1)
        }
        #expect(listeners.isOpen(address))
        try await logger(port: port, options, "between the two")
        try await testGracefulShutdownRunning(next) { _ in
            let events = try await new.events(count: 1)
            #expect(events.map(\.record["message"]) == [.string("between the two")])
        }
        #expect(old.events.map(\.record["message"]) == [.string("to the old pipeline")])
        #expect(!listeners.isOpen(address))
    }
}
