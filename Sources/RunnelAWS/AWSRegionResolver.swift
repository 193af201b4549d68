/// The region an output talks to: the `region` parameter, else `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else the `region` of the profile in `~/.aws/config`.
public enum AWSRegionResolver {
    public static func resolve(
        parameter: String?, environment: [String: String], profile: String? = nil, credentialsPath: String? = nil
    ) async throws -> String? {
        for candidate in [parameter, environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]] {
            if let candidate, !candidate.isEmpty { return candidate }
        }
        let files = try await SharedConfigFiles.load(credentialsPath: credentialsPath, environment: environment)
        let name = profile ?? environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return files.configProfiles[name]?["region"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
