import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import RunnelTestSupport
import Testing

/// A Prometheus scraper keeps its HTTP connection to the monitoring endpoint open between
/// scrapes. Neither SIGHUP nor SIGTERM may wait for it: the endpoint closes idle connections at
/// graceful shutdown, the reloaded pipeline listens on the same port again, and runnel exits.
@Suite(.serialized) struct MonitorReloadTests {
    /// Scrapes once over a keep-alive connection, then holds it open until `marker.done` exists.
    static let scraper = """
        import http.client, os, sys, time
        port, marker = int(sys.argv[1]), sys.argv[2]
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        print(response.status, response.getheader("Connection"), response.read().decode().strip())
        open(marker, "w").write("scraped")
        while not os.path.exists(marker + ".done"):
            time.sleep(0.05)
        """

    @Test func reloadAndShutdownDoNotWaitForAnIdleScraper() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-monitor-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let config = work.appendingPathComponent("fluent.conf")
        let text = """
            <source>
              @type monitor_agent
              bind 127.0.0.1
              port \(port)
            </source>
            <match **>
              @type null
            </match>

            """
        try Data(text.utf8).write(to: config)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(port), "\(runnel.log)")

        let marker = work.appendingPathComponent("scraped").path
        let scraper = try TestProcess("python3", ["-c", Self.scraper, "\(port)", marker])
        defer {
            FileManager.default.createFile(atPath: marker + ".done", contents: nil)
            Task { await scraper.stop() }
        }
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(scraper.log.contains("200 keep-alive ok"), "\(scraper.log)")

        runnel.signal(SIGHUP)
        for _ in 0..<600 where !runnel.log.contains("configuration reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(runnel.log.contains("configuration reloaded"), "\(runnel.log)")
        #expect(await waitForPort(port), "\(runnel.log)")
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        #expect(String(decoding: data, as: UTF8.self) == "ok\n")

        runnel.signal(SIGTERM)
        #expect(await runnel.wait(seconds: 30) == 0, "\(runnel.log)")
    }
}
