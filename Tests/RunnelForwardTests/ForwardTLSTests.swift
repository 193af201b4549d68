import Foundation
import RunnelCore
import Testing
@testable import RunnelForward

/// `<transport tls>` with a throw-away CA and server certificate made by the openssl command.
@Suite struct ForwardTLSTests {
    static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Writes ca.pem, server.pem, server.key (for CN localhost / 127.0.0.1) into a new directory.
    static func makeCertificates() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(directory.path)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=runnel-test-ca 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ForwardError(.configuration("openssl failed")) }
        return directory
    }

    @Test(.enabled(if: openssl != nil, "the openssl command is not installed"))
    func tlsWithSharedKeyAndClientCertificate() async throws {
        let directory = try Self.makeCertificates()
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
