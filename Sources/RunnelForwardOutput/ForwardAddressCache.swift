/// The addresses of one server's host, as out_forward caches them: for ever (`expire_dns_cache`
/// unset), for a while, or not at all (0); `dns_round_robin` walks every address in turn.
/// Pure: the resolver and the time come from outside.
struct ForwardAddressCache: Sendable {
    /// nil: keep addresses for ever; zero: resolve before every connection.
    let expiry: Double?
    let roundRobin: Bool
    private(set) var addresses: [String] = []
    private var resolvedAt: Double?
    private var next = 0

    init(expiry: Double?, roundRobin: Bool) {
        self.expiry = expiry
        self.roundRobin = roundRobin
    }

    func needsResolution(now: Double) -> Bool {
        guard let resolvedAt, !addresses.isEmpty else { return true }
        guard let expiry else { return false }
        return now - resolvedAt >= expiry
    }

    mutating func store(_ addresses: [String], now: Double) {
        self.addresses = addresses
        resolvedAt = now
        if next >= addresses.count { next = 0 }
    }

    /// The address to connect to: the first, or the next in turn with `dns_round_robin`.
    mutating func pick() -> String? {
        guard !addresses.isEmpty else { return nil }
        guard roundRobin else { return addresses[0] }
        let address = addresses[next % addresses.count]
        next = (next + 1) % addresses.count
        return address
    }

    /// Forgets the addresses (a server detached: its host may have moved).
    mutating func expire() {
        resolvedAt = nil
    }
}
