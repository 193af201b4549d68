import Foundation
import RunnelCore
import RunnelSigV4
import Testing

@Suite struct SigV4SignerTests {
    let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("secret-one"), sessionToken: Secret("token-one"))

    @Test func signingKeyCacheFollowsSecretAndDay() {
        let signer = SigV4Signer(service: "kinesis", region: "us-east-1")
        let request = SigV4Signer.Request(method: "POST", host: "kinesis.us-east-1.amazonaws.com", body: Array("{}".utf8))
        let day1 = Date(timeIntervalSince1970: 1_700_000_000)
        let day2 = day1.addingTimeInterval(86_400)
        let other = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("secret-two"))
        let a = signer.sign(request, credentials: credentials, date: day1).signature
        let b = signer.sign(request, credentials: other, date: day1).signature
        let c = signer.sign(request, credentials: credentials, date: day2).signature
        #expect(a != b)
        #expect(a != c)
        #expect(signer.sign(request, credentials: credentials, date: day1).signature == a)
        #expect(SigV4Signer(service: "kinesis", region: "us-east-1").sign(request, credentials: other, date: day1).signature == b)
    }

    @Test func resigningReplacesEarlierSignatureHeaders() {
        let signer = SigV4Signer(service: "sts", region: "us-east-1")
        let request = SigV4Signer.Request(method: "GET", host: "sts.amazonaws.com")
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let first = signer.sign(request, credentials: credentials, date: date)
        var retried = request
        retried.headers = first.headers.filter { $0.name != "Host" }
        let second = signer.sign(retried, credentials: credentials, date: date)
        #expect(second.signature == first.signature)
    }

    @Test(arguments: [
        ("Kinesis.US-East-1.amazonaws.com", 443, "https", "kinesis.us-east-1.amazonaws.com"),
        ("localhost", 4567, "http", "localhost:4567"),
        ("localhost", 80, "http", "localhost"),
        ("127.0.0.1", 443, "http", "127.0.0.1:443"),
        ("::1", 8080, "http", "[::1]:8080"),
    ])
    func hostHeader(host: String, port: Int, scheme: String, expected: String) {
        #expect(SigV4Signer.hostHeader(host: host, port: port, scheme: scheme) == expected)
    }

    @Test func descriptionsHideSecrets() {
        let signature = SigV4Signer(service: "sts", region: "us-east-1")
            .sign(SigV4Signer.Request(method: "GET", host: "h"), credentials: credentials, date: Date())
        for text in ["\(credentials)", String(reflecting: credentials), "\(signature)"] {
            #expect(!text.contains("secret-one"))
            #expect(!text.contains("token-one"))
            #expect(!text.contains(signature.signature))
        }
    }
}
