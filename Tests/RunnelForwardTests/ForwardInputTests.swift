import Foundation
import Logging
import RunnelTestSupport
import ServiceLifecycleTestKit
import NIOCore
import NIOPosix
import RunnelCore
import Testing
@testable import RunnelForward

@Suite struct ForwardInputTests {
    @Test(arguments: [ForwardMessage.Mode.message, .forward, .packedForward, .compressedPackedForward])
    func everyModeIsAcknowledgedAfterEmit(mode: ForwardMessage.Mode) async throws {
        let sink = CapturingSink()
        let stream = ForwardFixtures.stream(count: 12)
        try await withForwardInput(sink: sink) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                try await client.send(stream, mode: mode)
                // The ack arrived, so the events must already be in the sink.
                #expect(sink.eventCount == 12)
                try await client.send(ForwardFixtures.stream(tag: "second", count: 3), mode: mode)
            }
        }
        let events = try sink.events()
        #expect(events.count == 15)
        #expect(events.prefix(12).map(\.record) == (try stream.decodedEntries().map(\.record)))
        #expect(events.prefix(12).map(\.time) == (try stream.decodedEntries().map(\.time)))
        #expect(Set(events.map(\.tag)) == ["app.test", "second"])
    }

    @Test func refusedEmitIsNotAcknowledged() async throws {
        let sink = CapturingSink()
        sink.refuseNext(1)
        try await withForwardInput(sink: sink) { _, port in
            await #expect(throws: ForwardError(.connectionClosed)) {
                try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                    try await client.send(ForwardFixtures.stream(count: 2), mode: .packedForward)
                }
            }
            // The client sends again and this time the buffer takes it.
            try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                try await client.send(ForwardFixtures.stream(count: 2), mode: .packedForward)
            }
        }
        #expect(sink.eventCount == 2)
    }

    @Test func sharedKeyHandshake() async throws {
        let security = ForwardSecurity(selfHostname: "runnel-server", sharedKey: Secret("k3y"))
        let sink = CapturingSink()
        try await withForwardInput(localConfiguration { $0.security = security }, sink: sink) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port) { $0.sharedKey = Secret("k3y") }) { client in
                try await client.send(ForwardFixtures.stream(count: 4), mode: .forward)
            }
            await #expect(throws: ForwardError(.authenticationFailed(reason: "shared_key mismatch"))) {
                try await ForwardClient.withConnection(clientConfiguration(port: port) { $0.sharedKey = Secret("wrong") }) { _ in }
            }
            // Events without a handshake are refused with a PONG false.
            try await ForwardClient.withConnection(clientConfiguration(port: port, ack: false)) { client in
                guard case .array(let helo) = try await client.receive() else { Issue.record("no HELO"); return }
                #expect(helo.first?.stringValue == "HELO")
                try await client.sendRaw(try ForwardMessageEncoder.encode(ForwardFixtures.stream(count: 1), mode: .forward, chunk: nil)[0])
                let pong = try await client.receive()
                #expect(pong.arrayElement(0) == "PONG" && pong.arrayElement(2) == "invalid ping message")
            }
        }
        #expect(sink.eventCount == 4)
    }

    @Test func badConnectionsCloseAloneAndOthersContinue() async throws {
        let sink = CapturingSink()
        let configuration = localConfiguration { $0.chunkSizeLimit = 64 * 1024 }
        try await withForwardInput(configuration, sink: sink) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port)) { good in
                try await good.send(ForwardFixtures.stream(count: 1), mode: .packedForward)
                let garbage: [[UInt8]] = [
                    Array("GET / HTTP/1.1\r\n\r\n".utf8),
                    [0x92, 0x05, 0x90],  // tag is an integer
                    [0x93, 0xa1, 0x74, 0xc6, 0x7f, 0xff, 0xff, 0xff],  // declares 2 GiB
                ]
                for bytes in garbage {
                    try await ForwardClient.withConnection(clientConfiguration(port: port, ack: false)) { bad in
                        try await bad.sendRaw(bytes)
                        await #expect(throws: ForwardError(.connectionClosed)) { _ = try await bad.receive() }
                    }
                }
                try await good.send(ForwardFixtures.stream(count: 2), mode: .packedForward)
            }
        }
        #expect(sink.eventCount == 3)
    }

    @Test func slowClientIsClosedByFrameTimeout() async throws {
        try await withForwardInput(localConfiguration { $0.frameTimeout = 0.2 }) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port, ack: false)) { slow in
                let message = try ForwardMessageEncoder.encode(ForwardFixtures.stream(count: 1), mode: .forward, chunk: "c")[0]
                try await slow.sendRaw(Array(message.prefix(5)))
                await #expect(throws: ForwardError(.connectionClosed)) { _ = try await slow.receive() }
            }
        }
    }

    @Test func tagRewritingAndSourceInjection() async throws {
        let sink = CapturingSink()
        let configuration = localConfiguration {
            $0.tag = "fixed"
            $0.addTagPrefix = "in"
            $0.sourceAddressKey = "src_ip"
            $0.sourceHostnameKey = "src_host"
            $0.resolveHostname = false
        }
        try await withForwardInput(configuration, sink: sink) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                try await client.send(ForwardFixtures.stream(count: 3), mode: .packedForward)
            }
        }
        let events = try sink.events()
        #expect(events.count == 3)
        #expect(events.allSatisfy { $0.tag == "in.fixed" })
        #expect(events.allSatisfy { $0.record["src_ip"]?.stringValue == "127.0.0.1" && $0.record["src_host"]?.stringValue == "127.0.0.1" })
        #expect(events.allSatisfy { $0.record["level"]?.stringValue == "info" })
    }

    @Test func unixSocket() async throws {
        let path = NSTemporaryDirectory() + "runnel-forward-\(UUID().uuidString.prefix(8)).sock"
        let sink = CapturingSink()
        try await withForwardInput(ForwardInputConfiguration(endpoint: .unix(path: path), udpHeartbeat: false), sink: sink) { _, _ in
            try await ForwardClient.withConnection(ForwardClientConfiguration(endpoint: .unix(path: path), requireAck: true)) { client in
                try await client.send(ForwardFixtures.stream(count: 5), mode: .compressedPackedForward)
            }
        }
        #expect(sink.eventCount == 5)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func udpHeartbeatIsAnswered() async throws {
        try await withForwardInput { _, port in
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, outbound in
                let server = try SocketAddress(ipAddress: "127.0.0.1", port: port)
                try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: [0])))
                var iterator = inbound.makeAsyncIterator()
                let reply = try await iterator.next()
                #expect(reply.map { Array($0.data.readableBytesView) } == [0])
            }
        }
    }

    @Test func gracefulShutdownFinishesInFlightMessages() async throws {
        let sink = CapturingSink()
        sink.hold()
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let input = try ForwardInput(configuration: localConfiguration(), sink: sink, logger: logger)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await input.run() }
                let port = try await input.boundPort
                group.addTask {
                    // Acknowledged although shutdown starts while the emit is held.
                    try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                        try await client.send(ForwardFixtures.stream(count: 7), mode: .packedForward)
                    }
                }
                try await waitUntil("emit started") { sink.heldCount == 1 }
                trigger.triggerGracefulShutdown()
                sink.release()
                try await group.waitForAll()
            }
        }
        #expect(sink.eventCount == 7)
    }

    @Test func denyKeepaliveClosesAfterFirstMessage() async throws {
        try await withForwardInput(localConfiguration { $0.denyKeepalive = true }) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port)) { client in
                try await client.send(ForwardFixtures.stream(count: 1), mode: .forward)
                await #expect(throws: ForwardError(.connectionClosed)) { _ = try await client.receive() }
            }
        }
    }
}
