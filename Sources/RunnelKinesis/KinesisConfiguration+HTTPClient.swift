import AsyncHTTPClient
import Foundation
import NIOCore

extension KinesisConfiguration {
    /// An HTTPClient configuration honouring `http_proxy` and `ssl_verify_peer`, with
    /// connect and request timeouts, for the output's own client. `SSL_CERT_FILE` in
    /// `environment`, as Ruby's OpenSSL (and so Fluentd) honours it, replaces the system trust
    /// store with the CA certificates in that PEM file.
    public func httpClientConfiguration(
        connectTimeout: Duration = .seconds(10), environment: [String: String] = [:]
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(connectTimeout.nanoseconds), read: .nanoseconds(requestTimeout.nanoseconds))
        if !sslVerifyPeer {
            var tls = configuration.tlsConfiguration ?? .makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        if let httpProxy, let url = URL(string: httpProxy), let host = url.host {
            var authorization: HTTPClient.Authorization?
            if let user = url.user {
                authorization = .basic(username: user.removingPercentEncoding ?? user, password: url.password?.removingPercentEncoding ?? "")
            }
            configuration.proxy = .server(host: host, port: url.port ?? 80, authorization: authorization)
        }
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        if sslVerifyPeer, let caFile = environment["SSL_CERT_FILE"], !caFile.isEmpty {
            var tls = configuration.tlsConfiguration ?? .makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        return configuration
    }
}
