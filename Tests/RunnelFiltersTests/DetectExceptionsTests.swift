import Logging
import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelFilters

/// Sample traces from fluent-plugin-detect-exceptions' tests: each, fed line by line, comes out
/// as one record holding the whole trace, and the line after it as its own record.
@Suite struct DetectExceptionsTests {
    static let java = """
        Jul 09, 2015 3:23:29 PM com.google.devtools.search.cloud.feeder.MakeLog: RuntimeException: Run from this message!
          at com.my.app.Object.do$a1(MakeLog.java:50)
          at java.lang.Thing.call(Thing.java:10)
          at com.my.app.Object.help(MakeLog.java:40)
          at sun.javax.API.method(API.java:100)
          at com.jetty.Framework.main(MakeLog.java:30)

        """

    static let python = """
        Traceback (most recent call last):
          File "/base/data/home/runtimes/python27/python27_lib/versions/third_party/webapp2-2.5.2/webapp2.py", line 1535, in __call__
            rv = self.handle_exception(request, response, e)
          File "/base/data/home/apps/s~nearfieldspy/1.378705245900539993/nearfieldspy.py", line 17, in start
            return get()
          File "/base/data/home/apps/s~nearfieldspy/1.378705245900539993/nearfieldspy.py", line 5, in get
            raise Exception('spam', 'eggs')
        Exception: ('spam', 'eggs')

        """

    static let go = """
        panic: runtime error: invalid memory address or nil pointer dereference
        [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7fd34f]

        goroutine 5 [running]:
        panics.nilPtrDereference()
        \tpanics/panics.go:33 +0x1f
        panics.Wait()
        \tpanics/panics.go:16 +0x3b
        created by main.main
        \tserver.go:20 +0x91

        """

    static let php = """
        PHP Fatal error:  Uncaught exception 'Exception' with message 'message' in /base/data/home/apps/s~crash-example-php/1.388306779641080894/errors.php:60
        Stack trace:
        #0 [internal function]: ErrorEntryGenerator::{closure}()
        #1 /base/data/home/apps/s~crash-example-php/1.388306779641080894/errors.php(20): call_user_func_array(Object(Closure), Array)
        #4 {main}
          thrown in /base/data/home/apps/s~crash-example-php/1.388306779641080894/errors.php on line 60

        """

    static let csharpNested = """
        System.InvalidOperationException: This is the outer exception ---> System.InvalidOperationException: This is the inner exception
          at ExampleApp.NestedExceptionExample.LowestLevelMethod() in c:/ExampleApp/ExampleApp/NestedExceptionExample.cs:line 33
          at ExampleApp.NestedExceptionExample.SecondLevelMethod() in c:/ExampleApp/ExampleApp/NestedExceptionExample.cs:line 18
          --- End of inner exception stack trace ---
          at ExampleApp.NestedExceptionExample.SecondLevelMethod() in c:/ExampleApp/ExampleApp/NestedExceptionExample.cs:line 22
          at ExampleApp.Program.Main(String[] args) in c:/ExampleApp/ExampleApp/Program.cs:line 11

        """

    static let node = """
        ReferenceError: myArray is not defined
          at next (/app/node_modules/express/lib/router/index.js:256:14)
          at /app/node_modules/express/lib/router/index.js:615:15
          at /app/app.js:52:3

        """

    static let ruby = """
        NoMethodError (undefined method `resursivewordload' for #<BooksController:0x007f8dd9a0c738>):
          app/controllers/books_controller.rb:69:in `recursivewordload'
          app/controllers/books_controller.rb:75:in `loadword'
          app/controllers/books_controller.rb:79:in `loadline'

        """

    static let dart = """
        Unhandled exception:
        Instance of 'MyException'
        #0      main.<anonymous closure> (file:///path/to/code/dartFile.dart:15:20)
        #1      printError (file:///path/to/code/dartFile.dart:42:13)
        #2      main (file:///path/to/code/dartFile.dart:10:3)

        """

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0 + "\n" }
    }

    @Test(arguments: [
        ("java", java), ("python", python), ("go", go), ("php", php), ("csharp", csharpNested), ("js", node), ("ruby", ruby), ("dart", dart),
        ("all", java), ("all", python), ("all", go), ("all", dart),
    ])
    func tracesAreJoined(language: String, trace: String) throws {
        var accumulator = TraceAccumulator(detector: try ExceptionDetector(languages: [language]), options: .init(messageField: "log"))
        var out: [TraceAccumulator.Event] = []
        let lines = Self.lines(trace) + ["Just a regular log line\n"]
        for (index, line) in lines.enumerated() {
            out += accumulator.push(time: EventTime(seconds: UInt32(index)), record: .record(["log": .string(line), "n": .uint(UInt64(index))]), now: 0)
        }
        out += accumulator.forceFlush()
        #expect(out.count == 2, "\(out.map { $0.record["log"]?.stringValue ?? "" })")
        #expect(out.first?.record == .record(["log": .string(trace), "n": 0]))
        #expect(out.first?.time == EventTime(seconds: 0))
        #expect(out.last?.record["log"] == "Just a regular log line\n")
    }

    @Test func otherLanguagesLeaveTheTraceAlone() throws {
        var accumulator = TraceAccumulator(detector: try ExceptionDetector(languages: ["python"]), options: .init())
        var out: [TraceAccumulator.Event] = []
        for line in Self.lines(Self.java) { out += accumulator.push(time: EventTime(seconds: 0), record: .record(["message": .string(line)]), now: 0) }
        #expect(out.count == Self.lines(Self.java).count)
    }

    @Test func maxLinesAndForceLineBreaks() throws {
        var accumulator = TraceAccumulator(detector: try ExceptionDetector(languages: []), options: .init(forceLineBreaks: true, maxLines: 3))
        var out: [TraceAccumulator.Event] = []
        for line in Self.lines(Self.java) {
            out += accumulator.push(time: EventTime(seconds: 0), record: .record(["message": .string(String(line.dropLast()))]), now: 0)
        }
        out += accumulator.forceFlush()
        let first = Self.lines(Self.java).prefix(3).map { String($0.dropLast()) }.joined(separator: "\n")
        #expect(out.first?.record["message"] == .string(first))
    }

    @Test func outputReemitsWithoutThePrefix() async throws {
        let harness = try Harness(
            """
            <match raw.**>
              @type detect_exceptions
              remove_tag_prefix raw
              message log
              languages java, python
              multiline_flush_interval 0.1
            </match>
            <match **>
              @type capture
            </match>
            """)
        let lines = Self.lines(Self.python) + ["after\n"]
        try await harness.emit("raw.kubernetes.app", lines.map { .record(["log": .string($0)]) })
        #expect(harness.out.tags == ["kubernetes.app", "kubernetes.app"])
        #expect(harness.out.records.first?["log"] == .string(Self.python))
    }

    @Test(arguments: [
        ("", "remove_tag_prefix"),
        ("remove_tag_prefix raw\nlanguages java, cobol", "cobol"),
        ("remove_tag_prefix raw\nmax_lines many", "max_lines"),
    ])
    func configurationErrors(body: String, message: String) {
        let error = configError("<match raw.**>\n@type detect_exceptions\n\(body)\n</match>\n<match **>\n@type capture\n</match>")
        #expect(error.contains(message), "\(error)")
        #expect(error.contains("test.conf"), "\(error)")
    }
}
