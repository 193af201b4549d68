import Foundation

/// A throw-away CA, a server certificate for CN localhost / 127.0.0.1 and a client certificate,
/// made by the openssl command, for the TLS tests of the Forward and syslog inputs.
public enum TestCertificates {
    public static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Writes ca.pem, server.pem, server.key, client.pem and client.key into a new directory.
    public static func make() async throws -> URL {
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
        let made = try await Program.run("/bin/sh", ["-c", script], standardError: .merged)
        guard made.status == 0 else { throw TestFailure("openssl could not make the test certificates: \(made.output)") }
        return directory
    }
}
