import Foundation
import RunnelTestSupport
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
        let printed = Set(
            runnel.log.split(separator: "\n").compactMap { line -> Int? in
                guard line.contains("app.reload"), let range = line.range(of: "\"seq\":") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            })
        #expect(printed == Set(0..<events), "missing: \(Set(0..<events).subtracting(printed).sorted().prefix(10))")
    }

    /// Connects anew for every event (events 0, 1, 2, ...) until told to stop, and counts refused
    /// connections. A connection the stopping pipeline had just accepted is closed unanswered, as
    /// an idle connection is at a reload; like out_forward, the client sends that event again.
    static let reconnectingClient = """
        import msgpack, os, socket, sys, time
        port, stop = int(sys.argv[1]), sys.argv[2]
        refused, closed, i = 0, 0, 0
        while not os.path.exists(stop):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
            except ConnectionRefusedError:
                refused += 1
                time.sleep(0.001)
                continue
            chunk = f"c{i}"
            acked = False
            try:
                s.sendall(msgpack.packb(["app.reload", [[int(time.time()), {"seq": i}]], {"chunk": chunk}]))
                unpacker = msgpack.Unpacker(raw=False)
                while not acked:
                    data = s.recv(4096)
                    if not data:
                        break
                    unpacker.feed(data)
                    for message in unpacker:
                        acked = message.get("ack") == chunk
            except (ConnectionResetError, BrokenPipeError):
                pass
            s.close()
            if acked:
                i += 1
                if i == 20:
                    print("ready", flush=True)
                time.sleep(0.001)
            else:
                closed += 1
        print(f"done: {i} acknowledged, {closed} closed unanswered, {refused} refused", flush=True)
        """

    /// A reload to a file that still listens on the port keeps the listening socket: a client
    /// connecting throughout is never refused, and every acknowledged event is delivered.
    @Test func aReloadKeepsTheListeningSocketOfAnUnchangedAddress() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let config = work.appendingPathComponent("fluent.conf")
        let source = """
            <source>
              @type forward
              bind 127.0.0.1
              port \(port)
            </source>

            """
        try Data((source + "<match app.**>\n  @type stdout\n</match>\n").utf8).write(to: config)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(port), "\(runnel.log)")

        let stop = work.appendingPathComponent("stop").path
        let client = try TestProcess("python3", ["-c", Self.reconnectingClient, "\(port)", stop])
        defer { Task { await client.stop() } }
        for _ in 0..<600 where !client.log.contains("ready") { try await Task.sleep(for: .milliseconds(20)) }

        // The same source with another output section: reloads that build.
        for round in 1...3 {
            try Data((source + "<match app.**>\n  @type stdout\n  @id stdout_\(round)\n</match>\n").utf8).write(to: config)
            let reloadsBefore = runnel.log.components(separatedBy: "configuration reloaded").count
            runnel.signal(SIGHUP)
            for _ in 0..<600 where runnel.log.components(separatedBy: "configuration reloaded").count == reloadsBefore {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(runnel.log.components(separatedBy: "configuration reloaded").count > reloadsBefore, "\(runnel.log)")
            try await Task.sleep(for: .milliseconds(300))
        }
        FileManager.default.createFile(atPath: stop, contents: nil)
        #expect(await client.wait(seconds: 60) == 0, "\(client.log)\n\(runnel.log)")
        let summary = client.log.split(separator: "\n").last.map(String.init) ?? ""
        print("reload with a reconnecting client: \(summary)")
        #expect(summary.contains(", 0 refused"), "\(summary)")
        runnel.signal(SIGTERM)
        #expect(await runnel.wait(seconds: 30) == 0, "\(runnel.log)")
        let count = summary.hasPrefix("done: ") ? Int(summary.dropFirst(6).prefix { $0.isNumber }) ?? 0 : 0
        let printed = Set(
            runnel.log.split(separator: "\n").compactMap { line -> Int? in
                guard line.contains("app.reload"), let range = line.range(of: "\"seq\":") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            })
        #expect(count > 20, "\(summary)")
        #expect(Set(0..<count).isSubset(of: printed), "acked but not delivered: \(Set(0..<count).subtracting(printed).sorted().prefix(10))")
    }
}
