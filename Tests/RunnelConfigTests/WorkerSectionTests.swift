import Testing

@testable import RunnelConfig

/// `<worker>` sections, with the rules and messages of Fluentd's `RootAgent#configure`
/// (lib/fluent/root_agent.rb, v1.16 to v1.19).
@Suite("<worker> sections")
struct WorkerSectionTests {
    @Test func workerZeroRunsAsIfAtTopLevelAfterTheTopLevelSections() throws {
        let root = try parseClassic(
            """
            <worker 0>
              <source>
                @type forward
              </source>
              <match a.**>
                @type null
              </match>
            </worker>
            <match **>
              @type stdout
            </match>
            """)
        let flat = try root.flatteningWorkerSections(workers: 1)
        #expect(flat.children.map(\.title) == ["<match **>", "<source>", "<match a.**>"])
        #expect(flat.element(named: "worker") == nil)
        // The sections are the parsed ones, so what plugins read is tracked on them.
        #expect(flat.element(named: "source") === root.element(named: "worker")?.element(named: "source"))
    }

    @Test func withoutWorkerSectionsTheTreeIsUnchanged() throws {
        let root = try parseClassic("<source>\n  @type forward\n</source>\n")
        #expect(try root.flatteningWorkerSections(workers: 1) === root)
    }

    @Test func everyWorkerRunsInTheOneProcess() throws {
        let root = try parseClassic(
            """
            <worker 0-1>
              <source>
                @id both
              </source>
            </worker>
            <worker 2>
              <source>
                @id two
              </source>
            </worker>
            <worker 3>
              <label @X>
              </label>
            </worker>
            """)
        let flat = try root.flatteningWorkerSections(workers: 4)
        #expect(flat.elements(named: "source").map { $0.string("@id") } == ["both", "two"])
        #expect(flat.elements(named: "label").count == 1)
    }

    static let errors: [(text: String, workers: Int, line: Int, message: String)] = [
        ("<worker>\n</worker>\n", 1, 1, "Missing worker id on <worker> directive; write <worker 0> or <worker 0-1>"),
        (
            "<worker 1>\n</worker>\n", 1, 1,
            "worker id 1 specified by <worker> directive is not allowed. Available worker id is between 0 and 0 (<system> workers is 1); put the sections at the top level, or in <worker 0>"
        ),
        (
            "<worker 0-1>\n</worker>\n", 1, 1,
            "worker id 1 specified by <worker> directive is not allowed. Available worker id is between 0 and 0 (<system> workers is 1); put the sections at the top level, or in <worker 0>"
        ),
        (
            "<worker 4>\n</worker>\n", 4, 1,
            "worker id 4 specified by <worker> directive is not allowed. Available worker id is between 0 and 3; set <system> workers higher, or change the id"
        ),
        (
            "<worker 2-1>\n</worker>\n", 4, 1,
            "greater first_worker_id<2> than last_worker_id<1> specified by <worker> directive is not allowed. Available multi worker assign syntax is <smaller_worker_id>-<greater_worker_id>"
        ),
        (
            "<worker 0-1>\n</worker>\n<worker 1-2>\n</worker>\n", 4, 3,
            "specified worker_id<1> collisions is detected on <worker> directive; each worker id may be in one <worker N-M> range only"
        ),
        ("<worker x>\n</worker>\n", 1, 1, "<worker x>: 'x' is not a worker id; write <worker N> or <worker N-M> with whole numbers"),
        ("<worker 0-1-2>\n</worker>\n", 4, 1, "<worker 0-1-2>: '0-1-2' is not a worker id; write <worker N> or <worker N-M> with whole numbers"),
        ("<worker -1>\n</worker>\n", 4, 1, "<worker -1>: '-1' is not a worker id; write <worker N> or <worker N-M> with whole numbers"),
        (
            "<worker 0>\n  <system>\n  </system>\n</worker>\n", 1, 2,
            "<worker> section cannot have <system> directive; only <source>, <match>, <filter> and <label> can be in <worker 0>"
        ),
        (
            "<worker 0>\n  log_level debug\n</worker>\n", 1, 2,
            "<worker 0>: parameter 'log_level' is not allowed here; only <source>, <match>, <filter> and <label> sections can be in a <worker>"
        ),
    ]

    @Test(arguments: errors)
    func fluentdsRules(_ text: String, _ workers: Int, _ line: Int, _ message: String) throws {
        let root = try parseClassic(text, file: "w.conf")
        let error = try #require(configError { try root.flatteningWorkerSections(workers: workers) })
        #expect(error.message == message)
        #expect(error.location.file == "w.conf" && error.location.line == line)
    }

    /// Fluentd accepts a single id in two sections (only ranges are checked for collisions).
    @Test func singleIDTwiceIsAllowed() throws {
        let root = try parseClassic("<worker 0>\n</worker>\n<worker 0>\n</worker>\n<worker 0-1>\n</worker>\n")
        #expect(try root.flatteningWorkerSections(workers: 2).children.isEmpty)
    }

    @Test func everyWrongSectionIsReported() throws {
        let root = try parseClassic("<worker 1>\n</worker>\n<worker>\n</worker>\n", file: "w.conf")
        do {
            _ = try root.flatteningWorkerSections(workers: 1)
            Issue.record("expected errors")
        } catch let errors as ConfigErrors {
            #expect(errors.errors.map(\.location.line) == [1, 3])
            #expect(errors.description.split(separator: "\n").count == 2)
        }
    }
}
