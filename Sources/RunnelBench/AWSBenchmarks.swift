import Foundation
import RunnelAWS
import RunnelCore
import RunnelSigV4

/// SigV4 signing of PutRecords-sized requests, and credential look-ups through the cache.
func awsBenchmarks() -> [Benchmark] {
    let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        sessionToken: Secret("session-token"), expiration: Date().addingTimeInterval(86_400))
    let headers: [(name: String, value: String)] = [
        ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Kinesis_20131202.PutRecords"),
    ]
    let small = Array(repeating: UInt8(ascii: "a"), count: 1024)
    let large = Array(repeating: UInt8(ascii: "a"), count: 5 << 20)
    let date = Date(timeIntervalSince1970: 1_767_225_600)

    @Sendable func sign(_ body: [UInt8], requests: Int) -> Work {
        let signer = SigV4Signer(service: "kinesis", region: "us-east-1")
        let request = SigV4Signer.Request(method: "POST", host: "kinesis.us-east-1.amazonaws.com", headers: headers, body: body)
        var total = 0
        for _ in 0..<requests {
            total += signer.sign(request, credentials: credentials, date: date).signature.utf8.count
        }
        precondition(total > 0)
        return Work(items: requests, bytes: requests * body.count)
    }

    return [
        Benchmark("aws.sigv4.sign-1KiB") { sign(small, requests: 20_000) },
        Benchmark("aws.sigv4.sign-5MiB") { sign(large, requests: 20) },
        Benchmark("aws.credentials.cached") {
            let cache = ExpiringCredentials(source: "bench") { credentials }
            for _ in 0..<100_000 { _ = try await cache.credentials() }
            return Work(items: 100_000, bytes: 0)
        },
    ]
}
