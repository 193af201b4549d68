import Testing
@testable import RunnelCore

/// Fluentd's match patterns: the examples of docs.fluentd.org/configuration/config-file
/// ("How do the match patterns work?") and the cases of fluentd's test/test_match.rb.
struct TagPatternTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pattern: String
        var tag: String
        var matches: Bool
        var testDescription: String { "\(pattern) \(matches ? "matches" : "does not match") \(tag)" }
    }

    static func yes(_ pattern: String, _ tags: String...) -> [Case] { tags.map { Case(pattern: pattern, tag: $0, matches: true) } }
    static func no(_ pattern: String, _ tags: String...) -> [Case] { tags.map { Case(pattern: pattern, tag: $0, matches: false) } }

    /// From the documentation.
    static let documented: [Case] =
        yes("a.*", "a.b") + no("a.*", "a", "a.b.c")
        + yes("a.**", "a", "a.b", "a.b.c")
        + yes("{a,b}", "a", "b") + no("{a,b}", "c")
        + yes("a.{b,c}.*", "a.b.x", "a.c.y") + no("a.{b,c}.*", "a.b", "a.d.x")
        + yes("a.{b,c.**}", "a.b", "a.c", "a.c.d.e") + no("a.{b,c.**}", "a.b.c")
        + yes("**", "a", "a.b.c", "")
        + yes("a.b.**", "a.b", "a.b.c") + no("a.b.**", "a", "a.bc")
        + yes("a.b", "a.b") + no("a.b", "a.b.c", "a")
        + yes("/(?!a\\.).*/", "b.xxx", "ab") + no("/(?!a\\.).*/", "a.b")

    /// fluentd test/test_match.rb: test_simple, test_wildcard, test_recursive_wildcard, test_or.
    static let fluentdTests: [Case] =
        yes("a", "a") + yes("a.b", "a.b") + no("a", "b") + no("a.b", "aab")
        + yes("a*", "a", "ab", "abc") + yes("*a", "a", "ba", "cba") + yes("*a*", "a", "ba", "ac", "bac")
        + no("a*", "a.b", "ab.c", "ba") + no("*a", "ab")
        + yes("a.*", "a.b", "a.c") + no("a.*", "ab")
        + yes("a.*.c", "a.b.c", "a.c.c") + no("a.*.c", "a.c")
        + yes("a.**", "a", "a.b") + no("a.**", "ab", "abc", "ab.c", "ab.d.e")
        + yes("a**", "a", "ab", "abc", "a.b", "ab.c", "ab.d.e")
        + yes("**.a", "a", "b.a", "cb.a", "d.e.a") + no("**.a", "ba", "c.ba")
        + yes("**a", "a", "ba", "c.ba", "b.a", "cb.a", "d.e.a")
        + yes("a.{b,c}", "a.b", "a.c") + no("a.{b,c}", "a.d")
        + yes("a.{b,c}.**", "a.b", "a.c") + no("a.{b,c}.**", "a.d", "a.cd")
        + yes("a.{b.**,c}", "a.b", "a.b.c", "a.c") + no("a.{b.**,c}", "a.c.d")

    /// Escapes, punctuation and regexps.
    static let details: [Case] =
        yes("a-b.c_d", "a-b.c_d") + no("a-b.c_d", "a-b.cxd", "a-b")
        + yes("a\\*", "a*") + no("a\\*", "ab")
        + yes("a.\\*", "a.*") + no("a.\\*", "a*", "a.b")
        + yes("a.\\{b\\}", "a.{b}") + no("a.\\{b\\}", "a.b")
        + yes("a+b", "a+b") + no("a+b", "aab")
        + yes("a.", "a") + no("a.", "a.")
        + yes(".a", ".a") + no(".a", "a")
        + yes("x.{a,b.*}.z", "x.a.z", "x.b.q.z") + no("x.{a,b.*}.z", "x.b.z")
        + yes("{a,b", "a", "b")
        + yes("/a|b/", "a", "xb", "ax") + no("/a|b/", "x")
        + yes("/app\\.(web|api)/", "app.web", "app.api") + no("/app\\.(web|api)/", "app.db", "xapp.web")
        + yes("é.*", "é.x") + no("é.*", "e.x")

    @Test(arguments: documented + fluentdTests + details)
    func matchesAsFluentdDoes(_ c: Case) throws {
        let pattern = try TagPattern(c.pattern)
        #expect(pattern.matches(c.tag) == c.matches)
        #expect(try OrTagPattern(c.pattern).matches(c.tag) == c.matches)
        #expect(pattern.description == c.pattern)
    }

    /// fluentd test/test_match.rb: test_multi_pattern_or, and the documented `<match a b>` forms.
    static let several: [Case] =
        yes("a b", "a", "b") + no("a b", "c", "a b")
        + yes("a.** b.*", "a", "a.b", "a.b.c", "b.d") + no("a.** b.*", "b", "b.d.e")
        + yes("a.b a.c", "a.b", "a.c") + no("a.b a.c", "a.d")
        + yes("a.b.** a.c.**", "a.b", "a.c") + no("a.b.** a.c.**", "a.d", "a.cd")
        + yes("a.b.** a.c", "a.b", "a.b.c", "a.c") + no("a.b.** a.c", "a.c.d")
        + yes("  a \t b  ", "a", "b")
        + yes("", "anything", "a.b")

    @Test(arguments: several)
    func severalPatternsInOneDirective(_ c: Case) throws {
        #expect(try OrTagPattern(c.pattern).matches(c.tag) == c.matches)
    }

    @Test func orPatternDescribesItsParts() throws {
        #expect(try OrTagPattern("a.**   b").description == "a.** b")
        #expect(try OrTagPattern("").description == "**")
        #expect(try OrTagPattern("a b").patterns.count == 2)
    }

    @Test(arguments: ["/abc", "/", "/(unclosed/"])
    func invalidRegexpPatternsAreErrors(_ pattern: String) {
        #expect(throws: TagPatternError.self) { try TagPattern(pattern) }
        #expect(throws: TagPatternError.self) { try OrTagPattern("ok \(pattern)") }
    }

    @Test func errorNamesThePattern() {
        do {
            _ = try TagPattern("/abc")
            Issue.record("no error")
        } catch let error as TagPatternError {
            #expect(error.description.contains("'/abc'"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
