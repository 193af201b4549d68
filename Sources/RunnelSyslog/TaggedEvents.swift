import RunnelCore

/// What one read (a TCP segment's messages, a datagram) produced: events grouped by tag in the
/// order the tags first appeared, and the problems met on the way.
public struct TaggedEvents: Sendable {
    private var builders: [EventStreamBuilder] = []
    private var index: [String: Int] = [:]
    public private(set) var problems: [MessageProblem] = []

    public init() {}

    public var isEmpty: Bool { builders.isEmpty && problems.isEmpty }

    public mutating func append(tag: String, time: EventTime, record: [MessagePackPair]) {
        let at: Int
        if let known = index[tag] {
            at = known
        } else {
            at = builders.count
            index[tag] = at
            builders.append(EventStreamBuilder(tag: tag, capacity: 512))
        }
        builders[at].append(time: time, record: .map(record))
    }

    public mutating func report(_ problem: MessageProblem) { problems.append(problem) }

    /// One stream per tag.
    public var streams: [EventStream] { builders.map { $0.build() } }
}
