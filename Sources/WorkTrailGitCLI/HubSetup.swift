import Foundation
import WorkTrailHub

/// Works out which Hub to talk to and with which credentials, from the command line, the
/// environment and the repository's git configuration, in that order of precedence.
struct HubSetup {
    static let appKeyVariable = "WORKTRAIL_APP_KEY"
    static let secretVariable = "WORKTRAIL_SECRET_API_KEY"
    static let tokenVariable = "WORKTRAIL_AUTH_TOKEN"
    static let urlVariable = "WORKTRAIL_HUB_URL"

    let environment: [String: String]
    let urlFlag: String?
    let allowInsecureHTTP: Bool

    /// The base URL: `--hub-url`, then `WORKTRAIL_HUB_URL`, then `worktrail.hubUrl`, then the
    /// public service.
    func baseURL(configured: String?) throws -> URL {
        let text = urlFlag ?? nonEmpty(environment[Self.urlVariable]) ?? configured ?? HubConfiguration.defaultBaseURL
        return try HubConfiguration.baseURL(from: text, allowInsecureHTTP: allowInsecureHTTP)
    }

    /// The credentials from the environment; nil when none of the three is set.
    ///
    /// - Throws: `UsageError` naming the variables still missing when only some are set.
    func credentials() throws -> HubCredentials? {
        let appKey = nonEmpty(environment[Self.appKeyVariable])
        let secret = nonEmpty(environment[Self.secretVariable])
        let token = nonEmpty(environment[Self.tokenVariable])
        if appKey == nil && secret == nil && token == nil { return nil }
        let missing = [(Self.appKeyVariable, appKey), (Self.secretVariable, secret), (Self.tokenVariable, token)]
            .filter { $0.1 == nil }
            .map(\.0)
        guard let appKey, let secret, let token else {
            throw UsageError("Hub credentials are incomplete: set \(missing.joined(separator: " and ")) as well")
        }
        return HubCredentials(appKey: appKey, secretAPIKey: secret, authToken: token)
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return value
    }
}
