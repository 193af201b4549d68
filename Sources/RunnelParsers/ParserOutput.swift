import RunnelCore

/// Packed `[time, record]` entries produced by parsers: the core's builder, which parsers fill
/// without a tag and hand over with `take(tag:)`.
public typealias ParserOutput = EventStreamBuilder
