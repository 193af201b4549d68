import Foundation
import Testing

/// SIGHUP with a file that parses but does not build: the running pipeline goes on, a Forward
/// client streaming with acks on one connection is never disconnected, and every acked event is delivered.
@Suite(.serialized) struct ReloadTests {
    static let client = """
        import msgpack, os, socket, sys, time
        port, count, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        s = socket.create_connection(("127.0.0.1", port))
        unpacker = msgpack.Unpacker(raw=False)
        def send(i):
            chunk = f"c{i}"
            s.sendall(msgpack.packb(["app.reload", [[int(time.time()), {"seq": i}]], {"chunk": chunk}]))
            while True:
                data = s.recv(4096)
                if not data:
                    sys.exit(f"the connection was closed after {i} acks")
                unpacker.feed(data)
                for message in unpacker:
                    if message.get("ack") != chunk:
                        sys.exit(f"unexpected answer {message!r} for {chunk}")
                    return
        for i in range(count):
            send(i)
            if i == count // 2:
                open(marker, "w").write("half")
                while not os.path.exists(marker + ".done"):
                    time.sleep(0.05)
        print(f"{count} events acknowledged on one connection")
        """

    @Test func aFileThatFailsToBuildLeavesTheRunningPipelineAndItsConnections() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let config = work.appendingPathComponent("fluent.conf")
        let good = """
            <source>
              @type forward
              bind 127.0.0.1
              port \(port)
            </source>
            <match app.**>
              @type stdout
            </match>

            """
        try Data(good.utf8).write(to: config)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(port), "\(runnel.log)")

        let marker = work.appendingPathComponent("half").path
        let events = 400
        let client = try TestProcess("python3", ["-c", Self.client, "\(port)", "\(events)", marker])
        defer { Task { await client.stop() } }
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(FileManager.default.fileExists(atPath: marker), "\(client.log)")

        // Parses, but cannot be built: kinesis_streams without stream_name.
        try Data((good + "<match other.**>\n  @type kinesis_streams\n  region us-east-1\n</match>\n").utf8).write(to: config)
        runnel.signal(SIGHUP)
        for _ in 0..<600 where !runnel.log.contains("configuration not reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(runnel.log.contains("configuration not reloaded"), "\(runnel.log)")
        FileManager.default.createFile(atPath: marker + ".done", contents: nil)

        #expect(await client.wait(seconds: 60) == 0, "\(client.log)\n\(runnel.log)")
        #expect(client.log.contains("\(events) events acknowledged on one connection"))
        runnel.signal(SIGTERM)
        #expect(await runnel.wait(seconds: 30) == 0, "\(runnel.log)")
        let printed = Set(runnel.log.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains("app.reload"), let range = line.range(of: "\"seq\":") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        })
        #expect(printed == Set(0..<events), "missing: \(Set(0..<events).subtracting(printed).sorted().prefix(10))")
    }
}
