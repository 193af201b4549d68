import RunnelCore

/// The parsers' name for the core's Ruby regex (named captures are what parsers read).
public typealias NamedRegex = RubyRegex
