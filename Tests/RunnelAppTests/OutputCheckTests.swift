import Foundation
import RunnelTestSupport
import Testing

/// `--dry-run --check-outputs` against moto: the stream is described through the one AWS client,
/// and a missing stream is an error naming the stream, the region and the AWS error.
@Suite(.serialized) struct OutputCheckTests {
    @Test func existingStreamPassesAndAMissingOneIsNamed() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path
        let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", "checked", "--shards", "1"])
        #expect(created.status == 0, "\(created.output)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let environment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"]
        // --check-outputs is the older name of --check.
        for (stream, succeeds, flag) in [("checked", true, "--check"), ("absent", false, "--check"), ("checked", true, "--check-outputs")] {
            let config = work.appendingPathComponent("\(stream).conf")
            try Data(
                """
                <match **>
                  @type kinesis_streams
                  @id out_\(stream)
                  stream_name \(stream)
                  region us-east-1
                  endpoint \(moto.endpoint)
                </match>
                """.utf8
            ).write(to: config)
            let result = try await TestProcess.run(Paths.runnel, ["-c", config.path, "--dry-run", flag], environment: environment)
            if succeeds {
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("output out_checked (kinesis_streams): stream 'checked' in us-east-1 is reachable"), "\(result.output)")
            } else {
                #expect(result.status != 0, "\(result.output)")
                #expect(
                    result.output.contains("absent") && result.output.contains("us-east-1") && result.output.contains("ResourceNotFoundException"),
                    "\(result.output)")
            }
        }
    }
}
