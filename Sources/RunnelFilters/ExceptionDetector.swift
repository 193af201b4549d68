import RunnelCore

/// fluent-plugin-detect-exceptions' state machine: per language, rules `(from states, pattern,
/// to state)`; a line that no rule of the current state matches sends it back to `start`, and
/// is tried again from there, as it may begin another trace.
struct ExceptionDetector: Sendable {
    enum Status: Sendable, Equatable { case noTrace, startTrace, insideTrace, endTrace }

    struct Rule: Sendable {
        var from: [String]
        var pattern: String
        var to: String
    }

    struct Target: Sendable {
        var pattern: RubyRegex
        var source: String
        var to: String
    }

    static let start = "start_state"

    static let java: [Rule] = [
        Rule(from: [start, "java_start_exception"], pattern: #"(?:Exception|Error|Throwable|V8 errors stack trace)[:\r\n]"#, to: "java_after_exception"),
        Rule(from: ["java_after_exception"], pattern: #"^[\t ]*nested exception is:[\t ]*"#, to: "java_start_exception"),
        Rule(from: ["java_after_exception"], pattern: #"^[\r\n]*$"#, to: "java_after_exception"),
        Rule(from: ["java_after_exception", "java"], pattern: #"^[\t ]+(?:eval )?at "#, to: "java"),
        // C#: a nested exception, and one from async code.
        Rule(from: ["java_after_exception", "java"], pattern: #"^[\t ]+--- End of inner exception stack trace ---$"#, to: "java"),
        Rule(from: ["java_after_exception", "java"], pattern: #"^--- End of stack trace from previous location where exception was thrown ---$"#, to: "java"),
        Rule(from: ["java_after_exception", "java"], pattern: #"^[\t ]*(?:Caused by|Suppressed):"#, to: "java_after_exception"),
        Rule(from: ["java_after_exception", "java"], pattern: #"^[\t ]*... \d+ (?:more|common frames omitted)"#, to: "java"),
    ]

    static let python: [Rule] = [
        Rule(from: [start], pattern: #"^Traceback \(most recent call last\):$"#, to: "python"),
        Rule(from: ["python"], pattern: #"^[\t ]+File "#, to: "python_code"),
        Rule(from: ["python_code"], pattern: #"[^\t ]"#, to: "python"),
        Rule(from: ["python"], pattern: #"^(?:[^\s.():]+\.)*[^\s.():]+:"#, to: start),
    ]

    static let php: [Rule] = [
        Rule(from: [start], pattern: #"(?:PHP (?:Notice|Parse error|Fatal error|Warning):)|(?:exception '[^']+' with message ')"#, to: "php_stack_begin"),
        Rule(from: ["php_stack_begin"], pattern: #"^Stack trace:"#, to: "php_stack_frames"),
        Rule(from: ["php_stack_frames"], pattern: #"^#\d"#, to: "php_stack_frames"),
        Rule(from: ["php_stack_frames"], pattern: #"^\s+thrown in "#, to: start),
    ]

    static let go: [Rule] = [
        Rule(from: [start], pattern: #"\bpanic: "#, to: "go_after_panic"),
        Rule(from: [start], pattern: #"http: panic serving"#, to: "go_goroutine"),
        Rule(from: ["go_after_panic"], pattern: #"^$"#, to: "go_goroutine"),
        Rule(from: ["go_after_panic", "go_after_signal", "go_frame_line1"], pattern: #"^$"#, to: "go_goroutine"),
        Rule(from: ["go_after_panic"], pattern: #"^\[signal "#, to: "go_after_signal"),
        Rule(from: ["go_goroutine"], pattern: #"^goroutine \d+ \[[^\]]+\]:$"#, to: "go_frame_line1"),
        Rule(from: ["go_frame_line1"], pattern: #"^(?:[^\s.:]+\.)*[^\s.():]+\(|^created by "#, to: "go_frame_line2"),
        Rule(from: ["go_frame_line2"], pattern: #"^\s"#, to: "go_frame_line1"),
    ]

    static let ruby: [Rule] = [
        Rule(from: [start], pattern: #"Error \(.*\):$"#, to: "ruby_before_rails_trace"),
        Rule(from: ["ruby_before_rails_trace"], pattern: #"^  $"#, to: "ruby"),
        Rule(from: ["ruby_before_rails_trace"], pattern: #"^[\t ]+.*?\.rb:\d+:in `"#, to: "ruby"),
        Rule(from: ["ruby"], pattern: #"^[\t ]+.*?\.rb:\d+:in `"#, to: "ruby"),
    ]

    static let dart: [Rule] = {
        var rules = [Rule(from: [start], pattern: #"^Unhandled exception:$"#, to: "dart_exc")]
        for prefix in [
            "Instance of", "Exception", "Bad state", "IntegerDivisionByZeroException", "Invalid argument", "RangeError", "Assertion failed",
            "Cannot instantiate", "Reading static variable", "UnimplementedError", "Unsupported operation", "Concurrent modification",
            "Out of Memory", "Stack Overflow",
        ] {
            rules.append(Rule(from: ["dart_exc"], pattern: "^" + prefix, to: "dart_stack"))
        }
        let frame = #"^#\d+\s+.+?\(.+?\)$"#
        rules += [
            Rule(from: ["dart_exc"], pattern: #"^'.+?':.+?$"#, to: "dart_type_err_line1"),
            Rule(from: ["dart_type_err_line1"], pattern: frame, to: "dart_stack"),
            Rule(from: ["dart_type_err_line1"], pattern: #"^.+?$"#, to: "dart_type_err_line2"),
            Rule(from: ["dart_type_err_line2"], pattern: #"^.*?\^.*?$"#, to: "dart_type_err_line3"),
            Rule(from: ["dart_type_err_line3"], pattern: #"^$"#, to: "dart_type_err_line4"),
            Rule(from: ["dart_type_err_line4"], pattern: #"^$"#, to: "dart_stack"),
            Rule(from: ["dart_exc"], pattern: #"^FormatException"#, to: "dart_format_err_line1"),
            Rule(from: ["dart_format_err_line1"], pattern: frame, to: "dart_stack"),
            Rule(from: ["dart_format_err_line1"], pattern: #"^."#, to: "dart_format_err_line2"),
            Rule(from: ["dart_format_err_line2"], pattern: #"^.*?\^"#, to: "dart_format_err_line3"),
            Rule(from: ["dart_format_err_line3"], pattern: #"^$"#, to: "dart_stack"),
            Rule(from: ["dart_exc"], pattern: #"^NoSuchMethodError:"#, to: "dart_method_err_line1"),
            Rule(from: ["dart_method_err_line1"], pattern: #"^Receiver:"#, to: "dart_method_err_line2"),
            Rule(from: ["dart_method_err_line2"], pattern: #"^Tried calling:"#, to: "dart_method_err_line3"),
            Rule(from: ["dart_method_err_line3"], pattern: #"^Found:"#, to: "dart_stack"),
            Rule(from: ["dart_method_err_line3"], pattern: frame, to: "dart_stack"),
            Rule(from: ["dart_stack"], pattern: frame, to: "dart_stack"),
            Rule(from: ["dart_stack"], pattern: #"^<asynchronous suspension>$"#, to: "dart_stack"),
        ]
        return rules
    }()

    /// The names `languages` takes, as the plugin's `RULES_BY_LANG` has them.
    static func rules(for language: String) -> [Rule]? {
        switch language.lowercased() {
        case "java", "javascript", "js", "csharp": return java
        case "py", "python": return python
        case "php": return php
        case "go": return go
        case "rb", "ruby": return ruby
        case "dart": return dart
        case "all": return java + python + php + go + ruby + dart
        default: return nil
        }
    }

    static let languageNames = "java, javascript, js, csharp, py, python, php, go, rb, ruby, dart, all"

    private(set) var state = ExceptionDetector.start
    let table: [String: [Target]]

    /// Throws the unknown name; an empty list means all languages.
    init(languages: [String]) throws(UnknownLanguage) {
        var table: [String: [Target]] = [:]
        for language in languages.isEmpty ? ["all"] : languages {
            guard let rules = ExceptionDetector.rules(for: language) else { throw UnknownLanguage(name: language) }
            for rule in rules {
                // The rules are constants of this file: each compiles.
                let target = Target(pattern: try! RubyRegex(pattern: rule.pattern, flags: []), source: rule.pattern, to: rule.to)
                for from in rule.from where !(table[from] ?? []).contains(where: { $0.source == target.source && $0.to == target.to }) {
                    table[from, default: []].append(target)
                }
            }
        }
        self.table = table
    }

    struct UnknownLanguage: Error { var name: String }

    /// Feeds one line and tells where it stands.
    mutating func update(_ line: String) -> Status {
        let before = transition(line)
        if !before { _ = transition(line) }
        let after = state != ExceptionDetector.start
        switch (before, after) {
        case (true, true): return .insideTrace
        case (true, false): return .endTrace
        case (false, true): return .startTrace
        case (false, false): return .noTrace
        }
    }

    mutating func reset() { state = ExceptionDetector.start }

    private mutating func transition(_ line: String) -> Bool {
        for target in table[state] ?? [] where target.pattern.matches(line) {
            state = target.to
            return true
        }
        state = ExceptionDetector.start
        return false
    }
}
