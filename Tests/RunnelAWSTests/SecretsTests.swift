import Foundation
import RunnelAWS
import RunnelCore
import RunnelSigV4
import Testing

/// Every credential test records its log lines and error texts into `Witness`; this test adds
/// the descriptions of every public value that holds a secret, and checks nothing leaked.
@Suite struct SecretsTests {
    @Test func nothingRecordedContainsASecret() async throws {
        let credentials = AWSCredentials(
            accessKeyID: "AKIAX", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"),
            sessionToken: Secret("SESSIONTOKEN-static-1234567890"), expiration: Date())
        let provider = StaticCredentialProvider(credentials)
        let configuration = AWSCredentialsConfiguration(
            source: .staticKeys(
                accessKeyID: "AKIAX", secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken))
        for value in [credentials, provider, configuration, configuration.source] as [Any] {
            Witness.record("\(value)")
            Witness.record(String(reflecting: value))
            var dumped = ""
            dump(value, to: &dumped)
            Witness.record(dumped)
        }
        let signature = SigV4Signer(service: "kinesis", region: "us-east-1")
            .sign(.init(method: "POST", host: "h"), credentials: credentials, date: Date())
        Witness.record("\(signature)")
        #expect(!"\(signature)".contains(signature.signature))
        Witness.assertNoLeaks()
        #expect(!Witness.recorded.isEmpty)
    }
}
