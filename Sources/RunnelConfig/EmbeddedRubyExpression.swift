/// The parsed code of a `#{...}`: the Ruby subset Runnel evaluates, one case per construct.
indirect enum EmbeddedRubyExpression: Equatable {
    case literal(EmbeddedRubyValue)
    /// A local variable (`host`), or one Fluentd defines before the code runs (`hostname`, `worker_id`).
    case variable(String)
    /// `name = value`
    case assignment(String, EmbeddedRubyExpression)
    /// `a; b; c`: the value of the last.
    case sequence([EmbeddedRubyExpression])
    case or(EmbeddedRubyExpression, EmbeddedRubyExpression)
    case and(EmbeddedRubyExpression, EmbeddedRubyExpression)
    case not(EmbeddedRubyExpression)
    /// `condition ? then : else`
    case conditional(EmbeddedRubyExpression, EmbeddedRubyExpression, EmbeddedRubyExpression)
    /// `a + b` on strings.
    case plus(EmbeddedRubyExpression, EmbeddedRubyExpression)
    /// `body rescue fallback`: the fallback when the body raises a Ruby exception.
    case rescue(EmbeddedRubyExpression, EmbeddedRubyExpression)
    /// `ENV['X']`: the variable, or nil.
    case environment(EmbeddedRubyExpression)
    /// `ENV.fetch('X')` (KeyError if unset) and `ENV.fetch('X', default)`.
    case environmentFetch(EmbeddedRubyExpression, default: EmbeddedRubyExpression?)
    case fileJoin([EmbeddedRubyExpression])
    /// `File.read(p)`
    case fileRead(EmbeddedRubyExpression)
    /// `File.open(p)`, whose `.read` reads the file.
    case fileOpen(EmbeddedRubyExpression)
    /// `Socket.gethostname`
    case hostname
    /// `IPAddr.new(s)`
    case ipAddress(EmbeddedRubyExpression)
    case method(EmbeddedRubyExpression, Method)
    /// Fluentd's `use_default`: the parameter takes its default, as if not written.
    case useDefault
    /// Fluentd's `use_nil`: the parameter is nil, which Runnel treats as not written.
    case useNil

    enum Method: String, CaseIterable {
        case toS = "to_s"
        case toI = "to_i"
        case strip
        case read
        case isIPv4 = "ipv4?"
        case isIPv6 = "ipv6?"
    }
}
