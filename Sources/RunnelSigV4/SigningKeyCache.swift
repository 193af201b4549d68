import Crypto
import RunnelCore
import Synchronization

/// The last derived signing key of a signer, keyed by secret and day.
///
/// Deriving the key costs four HMACs; a signer signs many requests a day with the same
/// credentials, so one entry is enough (new credentials or a new day replace it).
final class SigningKeyCache: Sendable {
    private struct Entry {
        var secret: Secret
        var day: String
        var key: SymmetricKey
    }

    private let entry = Mutex<Entry?>(nil)

    func key(secret: Secret, day: String, derive: () -> SymmetricKey) -> SymmetricKey {
        if let cached = entry.withLock({ $0 }), cached.day == day, cached.secret == secret { return cached.key }
        let key = derive()
        entry.withLock { $0 = Entry(secret: secret, day: day, key: key) }
        return key
    }
}
