import Foundation
import RunnelTestSupport
import Testing

@testable import RunnelConfig

/// Every way a `#{...}` can fail: code outside the subset (a syntax error that lists what is
/// supported), and Ruby exceptions nobody rescued (as they stop Fluentd, they stop Runnel).
@Suite("#{...}: errors")
struct EmbeddedRubyErrorTests {
    static let supported = EmbeddedRubyEvaluator.supported

    /// Code outside the subset, and the part of it the message names.
    static let unsupported: [(String, String)] = [
        ("`rm -rf /`", "the character '`'"),
        ("system('x')", "the name 'system' (not a local variable assigned before it, nor a supported method)"),
        ("ENV['A'].upcase", "the method '.upcase' (supported methods: .to_s, .to_i, .strip, and .ipv4?/.ipv6? of IPAddr.new, .read of File.open)"),
        ("Time.now", "the constant 'Time' (supported: ENV, File, Socket, IPAddr)"),
        ("ENV", "the end of the code after 'ENV' (supported: ENV.fetch)"),
        ("ENV.keys", "'keys' after 'ENV' (supported: ENV.fetch)"),
        ("ENV.fetch", "the end of the code where '(' should follow ENV.fetch"),
        ("ENV.fetch('A',)", "')' where a value should be"),
        ("ENV.fetch('A', 'b', 'c')", "ENV.fetch with 3 arguments (write ENV.fetch('NAME') or ENV.fetch('NAME', default))"),
        ("ENV.fetch()", "ENV.fetch with 0 arguments (write ENV.fetch('NAME') or ENV.fetch('NAME', default))"),
        ("ENV['A'", "the end of the code where ']' should follow ENV[NAME"),
        ("ENV[A]", "the constant 'A' (supported: ENV, File, Socket, IPAddr)"),
        ("ENV['A'] ||", "the end of the code where a value should be"),
        ("ENV['A'] == 'b'", "'==' where the code should end"),
        ("1 - 1", "'-' where the code should end"),
        ("ENV['A'] ? 'b'", "the end of the code where ':' should follow the '?' branch of a ternary"),
        ("('a'", "the end of the code where ')' should follow the code in parentheses"),
        ("'a' 'b'", "the string 'b' where the code should end"),
        ("'unterminated", "an unterminated single-quoted string"),
        ("\"unterminated", "an unterminated double-quoted string"),
        (#""a#{b}""#, "interpolation inside a string in #{...} (use + to join strings)"),
        (#""\xZZ""#, "an invalid \\x escape (write \\xHH)"),
        (#""\u12""#, "an invalid \\u escape (write \\uHHHH or \\u{H...})"),
        ("0x1F", "the number '0x...' (only decimal integers and floats such as 10, 1.5, 2e3 are supported)"),
        ("99999999999999999999", "the integer 99999999999999999999 is too large"),
        ("File", "'File' without a method (supported: File.join, File.read, File.open(...).read)"),
        ("File.write('x', 'y')", "the method 'File.write' (supported: File.join, File.read, File.open(...).read)"),
        ("File.read('a', 'b')", "File.read with 2 arguments (it takes one)"),
        ("File.join 'a', 'b'", "the string 'a' where '(' should follow File.join"),
        ("Socket.ip_address_list", "'ip_address_list' after 'Socket' (supported: Socket.gethostname)"),
        ("IPAddr.parse('x')", "'parse' after 'IPAddr' (supported: IPAddr.new)"),
        ("'a'.", "the end of the code after '.' (expected a method name)"),
        (":sym", "':' where a value should be"),
        ("ENV['A'] and 'b'", "'and' where the code should end"),
    ]

    @Test(arguments: unsupported)
    func unsupportedSyntax(_ code: String, _ what: String) throws {
        let error = try #require(configError { try evaluateEmbedded(code, environment: ["A": "a"]) })
        #expect(error.kind == .syntax)
        #expect(error.message == "\"#{\(code)}\": unsupported Ruby: \(what). \(Self.supported); put any other value in an environment variable")
        #expect(error.location == SourceLocation(file: "test.conf", line: 1, column: 5))
    }

    /// Code Ruby would evaluate but Runnel does not reproduce.
    static let beyondTheSubset: [(String, String)] = [
        ("1 + 1", "'+' on numbers (only strings can be joined with +)"),
        ("IPAddr.new('::1')", "the IPAddr object itself cannot be used as text (call .read on File.open, .ipv4? or .ipv6? on IPAddr.new)"),
        ("IPAddr.new('::1').to_s", "'.to_s' of IPAddr (Runnel does not reproduce it)"),
        ("'99999999999999999999'.to_i", "'99999999999999999999'.to_i is too large"),
        ("1e300.to_i", "1e+300.to_i is too large"),
    ]

    @Test(arguments: beyondTheSubset)
    func beyondRunnel(_ code: String, _ what: String) throws {
        let error = try #require(configError { try evaluateEmbedded(code) })
        #expect(error.kind == .syntax)
        #expect(error.message == "\"#{\(code)}\": \(what). \(Self.supported)")
    }

    @Test func fileOpenWithoutRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("f", "x")
        let error = try #require(configError { try evaluateEmbedded("File.open('\(file)')") })
        #expect(error.message.hasPrefix("\"#{File.open('\(file)')}\": the File object itself cannot be used as text"))
    }

    static let keyHint = "set the environment variable, or give a default: ENV.fetch('NAME', 'default'), or add 'rescue FALLBACK'"
    static let hint = "fix the value, or add 'rescue FALLBACK' to the code"

    /// Ruby exceptions nobody rescued: class and message as Ruby's.
    static let raised: [(String, String)] = [
        ("ENV.fetch('MISSING')", "KeyError: key not found: \"MISSING\"; \(keyHint)"),
        ("ENV[1]", "TypeError: no implicit conversion of Integer into String; \(hint)"),
        ("ENV.fetch(nil)", "TypeError: no implicit conversion of nil into String; \(hint)"),
        ("'a' + nil", "TypeError: no implicit conversion of nil into String; \(hint)"),
        ("'a' + 1", "TypeError: no implicit conversion of Integer into String; \(hint)"),
        ("'a' + true", "TypeError: no implicit conversion of true into String; \(hint)"),
        ("nil + 'a'", "NoMethodError: undefined method '+' for nil; \(hint)"),
        ("ENV['MISSING'].strip", "NoMethodError: undefined method 'strip' for nil; \(hint)"),
        ("1.strip", "NoMethodError: undefined method 'strip' for an instance of Integer; \(hint)"),
        ("true.to_i", "NoMethodError: undefined method 'to_i' for an instance of TrueClass; \(hint)"),
        ("'x'.ipv4?", "NoMethodError: undefined method 'ipv4?' for an instance of String; \(hint)"),
        ("'x'.read", "NoMethodError: undefined method 'read' for an instance of String; \(hint)"),
        ("File.join('a', nil)", "TypeError: no implicit conversion of nil into String; \(hint)"),
        ("File.read(1)", "TypeError: no implicit conversion of Integer into String; \(hint)"),
        ("File.read('/nonexistent/key')", "Errno::ENOENT: No such file or directory @ rb_sysopen - /nonexistent/key; \(hint)"),
        ("File.open('/nonexistent/key').read", "Errno::ENOENT: No such file or directory @ rb_sysopen - /nonexistent/key; \(hint)"),
        ("File.read('/')", "Errno::EISDIR: Is a directory @ io_fread - /; \(hint)"),
        ("IPAddr.new('kubernetes.default').ipv6?", "IPAddr::InvalidAddressError: invalid address: kubernetes.default; \(hint)"),
        ("IPAddr.new(nil)", "TypeError: no implicit conversion of nil into String; \(hint)"),
    ]

    @Test(arguments: raised)
    func unrescuedExceptions(_ code: String, _ message: String) throws {
        let error = try #require(configError { try evaluateEmbedded(code) })
        #expect(error.kind == .invalidValue)
        #expect(error.message == "\"#{\(code)}\" raised \(message)")
    }

    @Test func errorsNameFileLineAndColumnOfTheCode() throws {
        let text = "<source>\n  @type forward\n  tag \"app.#{ENV.fetch('TAG')}\"\n</source>\n"
        let error = try #require(configError { try parseClassic(text, file: "/etc/runnel/app.conf") })
        #expect(error.location == SourceLocation(file: "/etc/runnel/app.conf", line: 3, column: 12))
        #expect(error.description.hasPrefix("/etc/runnel/app.conf:3:12: \"#{ENV.fetch('TAG')}\" raised KeyError"))
    }

    @Test func useDefaultIsNotAYAMLArgument() throws {
        let error = try #require(
            configError { try parseYAML("config:\n  - match:\n      $tag: !fluent/s \"#{use_default}\"\n      $type: null\n", file: "f.yaml") })
        #expect(error.message == "use_default stands for a parameter's value; it cannot be used for 'argument' here")
        #expect(error.location.line == 3)
    }

    @Test func useDefaultIsNotAKeyOrAPath() throws {
        let key = try #require(configError { try parseClassic("\"#{use_default}\" 1\n") })
        #expect(key.message == "use_default and use_nil stand for a parameter's value, not for a parameter name")
        let include = try #require(configError { try parseClassic("@include \"#{use_nil}\"\n") })
        #expect(include.message == "use_default and use_nil stand for a parameter's value, not for an @include path")
    }
}
