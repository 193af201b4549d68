import RunnelCore

/// fluent-plugin-concat's buffers and rules as a value: records go in with the time they
/// arrived (`now`, any clock), joined records come out. No clock is read and nothing is sent
/// here; `ConcatFilter` carries out what comes back.
struct ConcatStateMachine: Sendable {
    struct Element: Sendable {
        var tag: String
        var time: EventTime
        var record: [MessagePackPair]
    }

    /// A joined record leaving on timeout or at shutdown, for `timeout_label` or `@ERROR`.
    struct Flushed: Sendable, Equatable {
        var tag: String
        var time: EventTime
        var record: MessagePackValue
        var reason: String
    }

    /// A record the plugin's `process` raised on (a CRI record without a text logtag).
    struct Problem: Error, Sendable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    let configuration: ConcatConfiguration
    private var buffers: [String: [Element]] = [:]
    private var sizes: [String: Int] = [:]
    /// The plugin's `@timeout_map`: when each stream last had a record, in the order streams appeared.
    private var lastSeen: [String: Double] = [:]
    private var streamOrder: [String] = []

    init(configuration: ConcatConfiguration) {
        self.configuration = configuration
    }

    var isHolding: Bool { buffers.values.contains { !$0.isEmpty } }

    /// Fluentd's own log tags pass untouched.
    static func isFluentLogTag(_ tag: String) -> Bool {
        ["fluent.trace", "fluent.debug", "fluent.info", "fluent.warn", "fluent.error", "fluent.fatal"].contains(tag)
    }

    /// What `filter_stream` adds to the stream for one record.
    mutating func filter(tag: String, time: EventTime, record: MessagePackValue, now: Double) throws(Problem) -> [(time: EventTime, record: MessagePackValue)] {
        guard let pairs = record.mapValue, pairs.has(configuration.key) else { return [(time, record)] }
        switch configuration.mode {
        case .partial(let key, _) where !pairs.has(key): return [(time, record)]
        case .partialMetadata(let fields) where !pairs.has(fields.indicator): return [(time, record)]
        case .partialCRI(let logtagKey) where RecordValue.text(pairs[logtagKey]) == nil:
            throw Problem(reason: "the record has no text \(logtagKey) field (P or F)")
        default: break
        }
        var out: [(time: EventTime, record: MessagePackValue)] = []
        var time = time
        for (flushedTime, flushed) in process(streamIdentity(tag: tag, pairs), tag: tag, time: time, pairs: pairs, now: now) {
            if configuration.useFirstTimestamp { time = flushedTime }
            var merged = pairs
            for pair in flushed { merged.set(pair.key.stringValue ?? "", pair.value) }
            switch configuration.mode {
            case .partial(let key, _):
                if !configuration.keepPartialKey { merged.remove(key) }
            case .partialMetadata(let fields):
                if !configuration.keepPartialMetadata {
                    for key in [fields.message, fields.id, fields.ordinal, fields.last] { merged.remove(key) }
                }
            case .partialCRI(let logtagKey):
                if !configuration.keepPartialKey { merged.remove(logtagKey) }
                merged.remove(configuration.criStreamKey)
            case .lines, .regexp: break
            }
            out.append((time, .map(merged)))
        }
        return out
    }

    func streamIdentity(tag: String, _ pairs: [MessagePackPair]) -> String {
        let stream = configuration.streamIdentityKey.map { RecordValue.toS(pairs[$0]) }
        if case .partialMetadata(let fields) = configuration.mode {
            return "\(tag):\(stream ?? "")\(RecordValue.toS(pairs[fields.id]))"
        }
        return "\(tag):\(stream ?? "default")"
    }

    private mutating func append(_ id: String, _ element: Element) {
        if buffers[id] == nil { buffers[id] = [] }
        buffers[id]!.append(element)
    }

    private mutating func process(_ id: String, tag: String, time: EventTime, pairs: [MessagePackPair], now: Double) -> [(EventTime, [MessagePackPair])] {
        if lastSeen[id] == nil { streamOrder.append(id) }
        lastSeen[id] = now
        let element = Element(tag: tag, time: time, record: pairs)
        var out: [(EventTime, [MessagePackPair])] = []
        func flush(_ replacement: Element? = nil, removing key: String? = nil) {
            guard var flushed = flushBuffer(id, replacement) else { return }
            if let key { flushed.1.remove(key) }
            out.append(flushed)
        }
        switch configuration.mode {
        case .lines(let n):
            append(id, element)
            if buffers[id]!.count >= n { flush() }
        case .partial(let key, let value):
            var forceFlush = false
            if overflows(id, pairs) {
                switch configuration.overflowMethod {
                case .ignore: append(id, element)
                case .truncate, .new: forceFlush = true
                case .drop: buffers[id] = []
                }
            } else {
                append(id, element)
            }
            let isPartial = RecordValue.text(pairs[key]) == value
            if forceFlush || !isPartial { flush(removing: key) }
            if forceFlush, configuration.overflowMethod == .new {
                append(id, element)
                sizes[id] = ConcatStateMachine.byteSize(pairs)
                if !isPartial { flush(removing: key) }
            }
        case .partialCRI(let logtagKey):
            append(id, element)
            let logtag = RecordValue.text(pairs[logtagKey]) ?? ""
            if logtag.split(separator: ":", omittingEmptySubsequences: false).first == "F" { flush(removing: logtagKey) }
        case .partialMetadata(let fields):
            append(id, element)
            if RecordValue.text(pairs[fields.last]) == "true" { flush() }
        case .regexp:
            let text = pairs[configuration.key]
            let empty = buffers[id]?.isEmpty ?? true
            if firstLine(text) {
                if empty {
                    append(id, element)
                    if lastLine(text) { flush() }
                } else {
                    flush(element)
                    if lastLine(text) { flush() }
                }
            } else if lastLine(text) {
                append(id, element)
                flush()
            } else if empty {
                if configuration.startRegexp == nil {
                    append(id, element)
                } else {
                    out.append((time, pairs))
                }
            } else if continuousLine(text) {
                append(id, element)
            } else {
                let before = out.count
                flush()
                // The plugin adds the record with the time of the flushed one under use_first_timestamp.
                let passTime = out.count > before && configuration.useFirstTimestamp ? out[before].0 : time
                out.append((passTime, pairs))
            }
        }
        return out
    }

    /// Ruby's `Regexp#match?` of a value that may not be a string: nil and non-strings never match.
    private func matches(_ regex: RubyRegex?, _ value: MessagePackValue?) -> Bool {
        guard let regex, let text = RecordValue.text(value) else { return false }
        return regex.matches(text)
    }

    private func firstLine(_ value: MessagePackValue?) -> Bool { matches(configuration.startRegexp, value) }
    private func lastLine(_ value: MessagePackValue?) -> Bool { matches(configuration.endRegexp, value) }
    private func continuousLine(_ value: MessagePackValue?) -> Bool {
        configuration.continuousRegexp == nil || matches(configuration.continuousRegexp, value)
    }

    /// `record.keys.sum(&:bytesize) + record.values.sum { |v| v.to_s.bytesize }`.
    static func byteSize(_ pairs: [MessagePackPair]) -> Int {
        pairs.reduce(0) { $0 + RecordValue.toS($1.key).utf8.count + RecordValue.toS($1.value).utf8.count }
    }

    private mutating func overflows(_ id: String, _ pairs: [MessagePackPair]) -> Bool {
        let size = ConcatStateMachine.byteSize(pairs)
        if sizes[id, default: 0] + size > configuration.bufferLimitSize {
            sizes[id] = 0
            return true
        }
        sizes[id, default: 0] += size
        return false
    }

    private func joined(_ elements: [Element]) -> String {
        elements.map { RecordValue.toS($0.record[configuration.key]) }.joined(separator: configuration.separator)
    }

    /// The plugin's `flush_buffer`: the first record with `key` set to the joined lines.
    private mutating func flushBuffer(_ id: String, _ replacement: Element? = nil) -> (EventTime, [MessagePackPair])? {
        var elements = buffers[id] ?? []
        buffers[id] = replacement.map { [$0] } ?? []
        sizes[id] = 0
        guard let first = elements.first else { return nil }
        if case .partialMetadata(let fields) = configuration.mode {
            elements = elements.enumerated().sorted { a, b in
                let x = ConcatStateMachine.rubyToI(a.element.record[fields.ordinal])
                let y = ConcatStateMachine.rubyToI(b.element.record[fields.ordinal])
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
        }
        var record = first.record
        record.set(configuration.key, .string(joined(elements)))
        return (first.time, record)
    }

    /// Ruby's `to_i` of a value: leading digits of a string, the integer itself, else 0.
    static func rubyToI(_ value: MessagePackValue?) -> Int64 {
        if let i = value?.integerValue { return i }
        guard let text = RecordValue.text(value) else { return 0 }
        let trimmed = text.drop { $0 == " " }
        let sign = trimmed.first == "-" ? -1 : 1
        let digits = trimmed.drop { $0 == "-" || $0 == "+" }.prefix { $0.isASCIIDigit }
        return Int64(sign) * (Int64(digits) ?? 0)
    }

    /// The plugin's `flush_timeout_buffer`: streams quiet for `flush_interval` are joined and
    /// forgotten. `wallNow` is the time given to a joined record without `use_first_timestamp`.
    mutating func expire(now: Double, wallNow: EventTime) -> [Flushed] {
        guard configuration.flushInterval > 0 else { return [] }
        var out: [Flushed] = []
        var kept: [String] = []
        for id in streamOrder {
            guard let last = lastSeen[id], configuration.flushInterval <= now - last else {
                kept.append(id)
                continue
            }
            let tag = buffers[id]?.first?.tag
            if let flushed = flushBuffer(id), let tag {
                out.append(
                    Flushed(tag: tag, time: configuration.useFirstTimestamp ? flushed.0 : wallNow, record: .map(flushed.1), reason: "Timeout flush: \(id)"))
            }
            lastSeen[id] = nil
            buffers[id] = nil
            sizes[id] = nil
        }
        streamOrder = kept
        return out
    }

    /// The plugin's `flush_remaining_buffer`, at shutdown: every buffer joined, with its first time.
    mutating func drain() -> [Flushed] {
        var out: [Flushed] = []
        for id in streamOrder {
            guard let elements = buffers[id], let first = elements.first else { continue }
            var record = first.record
            record.set(configuration.key, .string(joined(elements)))
            out.append(Flushed(tag: first.tag, time: first.time, record: .map(record), reason: "Flush remaining buffer: \(id)"))
        }
        buffers = [:]
        sizes = [:]
        return out
    }
}
