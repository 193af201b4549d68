/// A value of the small Ruby subset `#{...}` is evaluated in: what Ruby would hold for the same
/// code, so that truthiness and `to_s` come out as Fluentd's.
enum EmbeddedRubyValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case `nil`
    /// `IPAddr.new(s)`: only its family is kept, for `ipv4?` and `ipv6?`.
    case ipAddress(isIPv6: Bool)
    /// `File.open(p)`: read by `.read`.
    case file(path: String)

    /// Ruby's truthiness: only nil and false are false (an empty string is true).
    var isTruthy: Bool {
        switch self {
        case .nil, .bool(false): return false
        default: return true
        }
    }

    /// Ruby's class name, for messages (`undefined method 'strip' for an instance of Integer`).
    var className: String {
        switch self {
        case .string: return "String"
        case .integer: return "Integer"
        case .float: return "Float"
        case .bool(true): return "TrueClass"
        case .bool(false): return "FalseClass"
        case .nil: return "NilClass"
        case .ipAddress: return "IPAddr"
        case .file: return "File"
        }
    }

    /// Ruby's `to_s` (as `"#{...}"` applies it): nil is empty, true is "true", 1.0 is "1.0".
    /// Nil for objects whose `to_s` Runnel does not reproduce (IPAddr, File).
    var rubyString: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .float(let number): return Self.rubyFloat(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .nil: return ""
        case .ipAddress, .file: return nil
        }
    }

    /// `Float#to_s`: like Swift's shortest form, but the mantissa always has a fraction
    /// (`1.0e+20`, not `1e+20`), and `Infinity`/`NaN` are spelled as Ruby does.
    static func rubyFloat(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        let text = String(number)
        guard let exponent = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<exponent]
        return mantissa.contains(".") ? text : mantissa + ".0" + text[exponent...]
    }
}

/// A Ruby exception raised while evaluating (a `KeyError` from `ENV.fetch`, an
/// `IPAddr::InvalidAddressError`): `rescue` catches it, and if nothing does, it is a
/// configuration error, as it stops Fluentd.
struct EmbeddedRubyException: Error, Equatable {
    var className: String
    var message: String

    static func noMethod(_ name: String, for value: EmbeddedRubyValue) -> EmbeddedRubyException {
        let receiver = value == .nil ? "nil" : "an instance of \(value.className)"
        return EmbeddedRubyException(className: "NoMethodError", message: "undefined method '\(name)' for \(receiver)")
    }

    static func noConversion(of value: EmbeddedRubyValue) -> EmbeddedRubyException {
        let name = value == .nil ? "nil" : value == .bool(true) ? "true" : value == .bool(false) ? "false" : value.className
        return EmbeddedRubyException(className: "TypeError", message: "no implicit conversion of \(name) into String")
    }
}
