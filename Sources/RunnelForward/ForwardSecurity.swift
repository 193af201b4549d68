import RunnelCore

/// The `<security>` section of in_forward.
public struct ForwardSecurity: Sendable {
    /// `self_hostname`: the server's name in PONG, and a client with the same name is refused.
    public var selfHostname: String
    /// `shared_key`: used for clients that match no `<client>` with a key of its own.
    public var sharedKey: Secret
    /// `user_auth`: require a `<user>` name and password in PING.
    public var userAuth: Bool
    /// `allow_anonymous_source`: accept clients that match no `<client>` section.
    public var allowAnonymousSource: Bool
    public var users: [User]
    public var clients: [Client]

    public struct User: Sendable {
        public var username: String
        public var password: Secret
        public init(username: String, password: Secret) {
            self.username = username
            self.password = password
        }
    }

    /// A `<client>` section: which peers it covers (`host` or `network`), and their key and users.
    public struct Client: Sendable {
        public var host: String?
        /// Addresses `host` resolved to at start-up (Fluentd resolves once too).
        public var hostAddresses: [String]
        public var network: IPNetwork?
        public var sharedKey: Secret?
        /// `users`: names from the `<user>` sections this client may authenticate as; empty means all.
        public var users: [String]

        public init(host: String? = nil, hostAddresses: [String] = [], network: IPNetwork? = nil, sharedKey: Secret? = nil, users: [String] = []) {
            self.host = host
            self.hostAddresses = hostAddresses
            self.network = network
            self.sharedKey = sharedKey
            self.users = users
        }

        func matches(address: String) -> Bool {
            if let network { return network.contains(address) }
            if let host { return host == address || hostAddresses.contains(address) }
            return false
        }
    }

    public init(
        selfHostname: String, sharedKey: Secret, userAuth: Bool = false, allowAnonymousSource: Bool = true,
        users: [User] = [], clients: [Client] = []
    ) {
        self.selfHostname = selfHostname
        self.sharedKey = sharedKey
        self.userAuth = userAuth
        self.allowAnonymousSource = allowAnonymousSource
        self.users = users
        self.clients = clients
    }
}
