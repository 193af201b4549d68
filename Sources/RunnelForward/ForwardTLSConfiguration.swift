import NIOSSL
import RunnelCore

/// `<transport tls>` of in_forward (and the client's TLS settings).
public struct ForwardTLSConfiguration: Sendable {
    public enum Version: String, Sendable, CaseIterable {
        case tls1_1 = "TLSv1_1"
        case tls1_2 = "TLSv1_2"
        case tls1_3 = "TLSv1_3"

        var nio: TLSVersion {
            switch self {
            case .tls1_1: return .tlsv11
            case .tls1_2: return .tlsv12
            case .tls1_3: return .tlsv13
            }
        }
    }

    /// `cert_path`: PEM certificate chain.
    public var certPath: String?
    /// `private_key_path`: PEM private key.
    public var privateKeyPath: String?
    /// `private_key_passphrase`.
    public var privateKeyPassphrase: Secret?
    /// `ca_path`: CA certificates that client certificates (server) or the server (client) must chain to.
    public var caPath: String?
    /// `client_cert_auth`: require and verify a client certificate.
    public var clientCertAuth: Bool
    /// `min_version` (Fluentd's `version` is accepted as the same thing).
    public var minVersion: Version
    /// Client only (`tls_insecure_mode`): skip verifying the server certificate.
    public var insecure: Bool
    /// Client only (out_forward's `tls_verify_hostname`): check the server name in its certificate.
    public var verifyHostname = true

    public init(
        certPath: String? = nil, privateKeyPath: String? = nil, privateKeyPassphrase: Secret? = nil, caPath: String? = nil,
        clientCertAuth: Bool = false, minVersion: Version = .tls1_2, insecure: Bool = false
    ) {
        self.certPath = certPath
        self.privateKeyPath = privateKeyPath
        self.privateKeyPassphrase = privateKeyPassphrase
        self.caPath = caPath
        self.clientCertAuth = clientCertAuth
        self.minVersion = minVersion
        self.insecure = insecure
    }

    private func key(_ path: String) throws -> NIOSSLPrivateKey {
        if let passphrase = privateKeyPassphrase {
            let bytes = Array(passphrase.reveal().utf8)
            return try NIOSSLPrivateKey(file: path, format: .pem) { setter in setter(bytes) }
        }
        return try NIOSSLPrivateKey(file: path, format: .pem)
    }

    /// Loads the files once at start-up; an unreadable file is a configuration error.
    public func makeServerContext() throws -> NIOSSLContext {
        guard let certPath, let privateKeyPath else {
            throw ForwardError(.configuration("<transport tls> needs cert_path and private_key_path"))
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath).map { NIOSSLCertificateSource.certificate($0) }
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try key(privateKeyPath)))
            tls.minimumTLSVersion = minVersion.nio
            if clientCertAuth {
                tls.certificateVerification = .noHostnameVerification
                if let caPath { tls.trustRoots = .file(caPath) }
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ForwardError(
                .configuration("<transport tls>: cannot load certificate or key (\(error)); check cert_path, private_key_path and private_key_passphrase"))
        }
    }

    public func makeClientContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = minVersion.nio
        if let caPath { tls.trustRoots = .file(caPath) }
        if insecure {
            tls.certificateVerification = .none
        } else if !verifyHostname {
            tls.certificateVerification = .noHostnameVerification
        }
        do {
            if let certPath, let privateKeyPath {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) }
                tls.privateKey = .privateKey(try key(privateKeyPath))
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ForwardError(.configuration("TLS client set-up failed (\(error)); check the CA, certificate and key paths"))
        }
    }
}
