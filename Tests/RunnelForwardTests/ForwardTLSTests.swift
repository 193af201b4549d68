import Foundation
import RunnelCore
import RunnelTestSupport
import Testing
@testable import RunnelForward

/// `<transport tls>` with a throw-away CA and server certificate made by the openssl command.
@Suite struct ForwardTLSTests {
    @Test(.enabled(if: TestCertificates.openssl != nil, "the openssl command is not installed"))
    func tlsWithSharedKeyAndClientCertificate() async throws {
        let directory = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let sink = CapturingSink()
        let configuration = localConfiguration {
            $0.tls = ForwardTLSConfiguration(
                certPath: path("server.pem"), privateKeyPath: path("server.key"), caPath: path("ca.pem"), clientCertAuth: true)
            $0.security = ForwardSecurity(selfHostname: "server", sharedKey: Secret("tls-key"))
        }
        try await withForwardInput(configuration, sink: sink) { _, port in
            let good = clientConfiguration(port: port) {
                $0.tls = ForwardTLSConfiguration(certPath: path("client.pem"), privateKeyPath: path("client.key"), caPath: path("ca.pem"))
                $0.tlsServerName = "localhost"
                $0.sharedKey = Secret("tls-key")
            }
            try await ForwardClient.withConnection(good) { client in
                try await client.send(ForwardFixtures.stream(count: 6), mode: .compressedPackedForward)
            }
            // Without a client certificate the TLS handshake fails and nothing is taken.
            let anonymous = clientConfiguration(port: port) {
                $0.tls = ForwardTLSConfiguration(caPath: path("ca.pem"))
                $0.tlsServerName = "localhost"
                $0.sharedKey = Secret("tls-key")
            }
            await #expect(throws: (any Error).self) {
                try await ForwardClient.withConnection(anonymous) { client in
                    try await client.send(ForwardFixtures.stream(count: 1), mode: .packedForward)
                }
            }
        }
        #expect(sink.eventCount == 6)
    }
}
