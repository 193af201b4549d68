import Foundation
import RunnelCore
import RunnelSigV4
import Testing

/// One request signed by botocore (scripts/gen-sigv4-fixtures.py).
struct SigV4Fixture: Decodable, CustomTestStringConvertible, Sendable {
    struct Expected: Decodable, Sendable {
        var canonicalRequest: String
        var stringToSign: String
        var signature: String
        var authorization: String
        var amzDate: String
    }

    var name: String
    var service: String
    var region: String
    var method: String
    var scheme: String
    var host: String
    var path: String
    var query: [[String]]
    var headers: [[String]]
    var body: String
    var time: Double
    var accessKeyID: String
    var secretAccessKey: String
    var sessionToken: String?
    var expected: Expected

    var testDescription: String { name }

    static func all() throws -> [SigV4Fixture] {
        guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { return [] }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try JSONDecoder().decode(SigV4Fixture.self, from: Data(contentsOf: $0)) }
    }

    func sign(with signer: SigV4Signer? = nil) -> SigV4Signer.Signature {
        let signer = signer ?? SigV4Signer(service: service, region: region)
        let request = SigV4Signer.Request(
            method: method, host: host, path: path,
            query: query.map { (name: $0[0], value: $0[1]) },
            headers: headers.map { (name: $0[0], value: $0[1]) },
            body: Array(body.utf8))
        let credentials = AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: Secret(secretAccessKey), sessionToken: sessionToken.map(Secret.init))
        return signer.sign(request, credentials: credentials, date: Date(timeIntervalSince1970: time))
    }
}

@Suite("SigV4 against botocore")
struct SigV4FixtureTests {
    @Test func fixturesArePresent() throws {
        #expect(try SigV4Fixture.all().count >= 15)
    }

    @Test("canonical request", arguments: try SigV4Fixture.all())
    func canonicalRequest(_ fixture: SigV4Fixture) {
        #expect(fixture.sign().canonicalRequest == fixture.expected.canonicalRequest)
    }

    @Test("string to sign", arguments: try SigV4Fixture.all())
    func stringToSign(_ fixture: SigV4Fixture) {
        #expect(fixture.sign().stringToSign == fixture.expected.stringToSign)
    }

    @Test("signature", arguments: try SigV4Fixture.all())
    func signature(_ fixture: SigV4Fixture) {
        #expect(fixture.sign().signature == fixture.expected.signature)
    }

    @Test("Authorization and added headers", arguments: try SigV4Fixture.all())
    func authorizationHeader(_ fixture: SigV4Fixture) {
        let signature = fixture.sign()
        let headers = Dictionary(signature.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(headers["Authorization"] == fixture.expected.authorization)
        #expect(headers["X-Amz-Date"] == fixture.expected.amzDate)
        #expect(headers["X-Amz-Security-Token"] == fixture.sessionToken)
        #expect(headers["Host"] == fixture.host)
    }

    @Test("a reused signer (cached key) signs the same", arguments: try SigV4Fixture.all())
    func cachedKey(_ fixture: SigV4Fixture) {
        let signer = SigV4Signer(service: fixture.service, region: fixture.region)
        _ = fixture.sign(with: signer)
        #expect(fixture.sign(with: signer).signature == fixture.expected.signature)
    }
}
