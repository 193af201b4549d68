import Foundation
import RunnelTestSupport
import Testing

/// `<system> file_permission` / `dir_permission`: the modes of what Runnel creates.
@Suite struct SystemPermissionTests {
    static func mode(_ path: String) -> UInt16? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let mode = attributes[.posixPermissions] as? Int else { return nil }
        return UInt16(mode)
    }

    @Test func bufferOutFileAndPosFileTakeTheSystemModes() async throws {
        let work = try TemporaryDirectory(prefix: "runnel-permissions")
        let log = work.path("app.log")
        try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: log))
        let config = work.path("fluent.conf")
        try Data(
            """
            <system>
              file_permission 0600
              dir_permission 0700
            </system>
            <source>
              @type tail
              path \(log)
              pos_file \(work.path("state/app.pos"))
              read_from_head true
              tag app
              <parse>
                @type none
              </parse>
            </source>
            <match app>
              @type file
              path \(work.path("out/app"))
              append true
              <buffer>
                @type file
                path \(work.path("buffer"))
                flush_mode interval
                flush_interval 3600s
              </buffer>
            </match>

            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        let runnel = try TestProcess(Paths.runnel, ["-c", config])
        defer { Task { await runnel.stop() } }
        func bufferFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: work.path("buffer"))) ?? []).filter { $0.hasPrefix("buffer.") }
        }
        try await waitUntil("the events are in the buffer", timeout: 120, every: .milliseconds(100)) { !bufferFiles().isEmpty }
        #expect(Self.mode(work.path("buffer")) == 0o700)
        for file in bufferFiles() { #expect(Self.mode(work.path("buffer/\(file)")) == 0o600, "\(file)") }
        #expect(Self.mode(work.path("state/app.pos")) == 0o600)
        // SIGUSR1 flushes the chunk into out_file.
        runnel.signal(SIGUSR1)
        func outFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: work.path("out"))) ?? [] }
        try await waitUntil("out_file writes", timeout: 120, every: .milliseconds(100)) { !outFiles().isEmpty }
        #expect(Self.mode(work.path("out")) == 0o700)
        for file in outFiles() { #expect(Self.mode(work.path("out/\(file)")) == 0o600, "\(file)") }
        runnel.signal(SIGTERM)
        #expect(await runnel.wait(seconds: 60) == 0, "\(runnel.log)")
    }

    @Test func aModeThatIsNotOctalIsNamed() async throws {
        let work = try TemporaryDirectory(prefix: "runnel-permissions")
        let config = work.path("fluent.conf")
        try Data("<system>\n  file_permission rw-r--r--\n</system>\n<match **>\n  @type null\n</match>\n".utf8).write(to: URL(fileURLWithPath: config))
        let result = try await TestProcess.run(Paths.runnel, ["-c", config, "--dry-run"])
        #expect(result.status == 1)
        #expect(result.output.contains("file_permission") && result.output.contains("octal"), "\(result.output)")
    }
}
