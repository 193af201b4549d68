import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The library calls of the evaluated subset, each with the Ruby behaviour configurations rely on.
extension EmbeddedRubyEvaluator {
    /// Ruby's `File.join`: a part starting with `/` replaces the separators the result ends
    /// with; otherwise one `/` is added unless the result already ends with one. So
    /// `File.join('/var/log/', '', 'x.pos')` is `/var/log/x.pos` and `File.join('', 'x')` is `/x`.
    static func fileJoin(_ parts: [String]) -> String {
        var result = ""
        for (index, part) in parts.enumerated() {
            if index > 0 {
                let trailing = result.reversed().prefix { $0 == "/" }.count
                if part.hasPrefix("/") {
                    result.removeLast(trailing)
                } else if trailing == 0 {
                    result.append("/")
                }
            }
            result.append(part)
        }
        return result
    }

    /// The whole file, as `File.read` gives it; the errors are Ruby's `Errno` exceptions.
    static func readFile(_ path: String) throws(Interrupt) -> String {
        func failure(_ className: String, _ reason: String, in function: String = "rb_sysopen") -> Interrupt {
            .raised(EmbeddedRubyException(className: className, message: "\(reason) @ \(function) - \(path)"))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("Errno::ENOENT", "No such file or directory")
        }
        // Ruby opens a directory, then fails to read it.
        if isDirectory.boolValue { throw failure("Errno::EISDIR", "Is a directory", in: "io_fread") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("Errno::EACCES", "Permission denied")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `text` is an IPv6 (true) or IPv4 (false) address as `IPAddr.new` accepts it
    /// (brackets around IPv6, a `/prefix` or `/mask`, an IPv6 `%zone`); nil if it is neither.
    static func ipAddressFamily(_ text: String) -> Bool? {
        var address = Substring(text)
        if address.hasPrefix("["), address.hasSuffix("]") { address = address.dropFirst().dropLast() }
        var prefix: Substring?
        if let slash = address.firstIndex(of: "/") {
            prefix = address[address.index(after: slash)...]
            address = address[..<slash]
        }
        if let zone = address.firstIndex(of: "%"), address[..<zone].contains(":") {
            address = address[..<zone]
        }
        let isIPv6: Bool
        if parses(String(address), family: AF_INET) {
            isIPv6 = false
        } else if parses(String(address), family: AF_INET6) {
            isIPv6 = true
        } else {
            return nil
        }
        if let prefix {
            let bits = isIPv6 ? 128 : 32
            if let length = Int(prefix), length >= 0, length <= bits, !prefix.hasPrefix("+") { return isIPv6 }
            return parses(String(prefix), family: isIPv6 ? AF_INET6 : AF_INET) ? isIPv6 : nil
        }
        return isIPv6
    }

    private static func parses(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    /// Ruby's `String#to_i`: leading blanks, an optional sign, then decimal digits (single `_`
    /// between digits allowed) as far as they go; no digits is 0.
    static func rubyInteger(_ text: String) throws(Interrupt) -> Int {
        var scalars = Substring(text).unicodeScalars.drop { " \t\n\u{0B}\u{0C}\r".unicodeScalars.contains($0) }
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        var digits = ""
        var previousWasDigit = false
        for scalar in scalars {
            if ("0"..."9").contains(scalar) {
                digits.unicodeScalars.append(scalar)
                previousWasDigit = true
            } else if scalar == "_", previousWasDigit {
                previousWasDigit = false
            } else {
                break
            }
        }
        guard !digits.isEmpty else { return 0 }
        guard let value = Int(negative ? "-" + digits : digits) else {
            throw .unsupported("'\(text)'.to_i is too large")
        }
        return value
    }

    /// Ruby's `String#strip`: removes whitespace and NUL at both ends.
    static func rubyStrip(_ text: String) -> String {
        let blank: Set<Unicode.Scalar> = [" ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{00}"]
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, blank.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, blank.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
