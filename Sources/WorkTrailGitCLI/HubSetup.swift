import Foundation
import WorkTrailHub

/// Works out which Hub to talk to, with which credentials and settings, from the command line,
/// the environment, the credentials file and the repository's git configuration.
///
/// Every command that talks to the Hub gets its client here, so all of them read the
/// credentials file and honour the same settings.
struct HubSetup {
    static let appKeyVariable = "WORKTRAIL_APP_KEY"
    static let secretVariable = "WORKTRAIL_SECRET_API_KEY"
    static let tokenVariable = "WORKTRAIL_AUTH_TOKEN"
    static let urlVariable = "WORKTRAIL_HUB_URL"
    static let timeoutVariable = "WORKTRAIL_HUB_TIMEOUT"
    static let attemptsVariable = "WORKTRAIL_HUB_ATTEMPTS"
    static let retryDelayVariable = "WORKTRAIL_HUB_RETRY_DELAY"

    /// The flags every Hub command takes.
    /// Says that no credentials are set and where they come from, followed by `consequence`.
    static func noCredentials(_ consequence: String) -> String {
        "no Hub credentials are set (\(appKeyVariable), \(secretVariable), \(tokenVariable),"
            + " or 'worktrail-git auth'); \(consequence)"
    }

    static let flags: Set<String> = ["--allow-insecure-http", "--verbose"]
    /// The options every Hub command takes.
    static let options: Set<String> = ["--hub-url"]

    let environment: [String: String]
    let urlFlag: String?
    let allowInsecureHTTP: Bool
    /// Whether the client's debug messages (each retry) are shown.
    var verbose = false

    init(environment: [String: String], urlFlag: String?, allowInsecureHTTP: Bool, verbose: Bool = false) {
        self.environment = environment
        self.urlFlag = urlFlag
        self.allowInsecureHTTP = allowInsecureHTTP
        self.verbose = verbose
    }

    /// The setup a command line asks for with `--hub-url`, `--allow-insecure-http` and `--verbose`.
    init(_ arguments: Arguments, environment: [String: String]) {
        self.init(
            environment: environment,
            urlFlag: arguments.value("--hub-url"),
            allowInsecureHTTP: arguments.has("--allow-insecure-http"),
            verbose: arguments.has("--verbose")
        )
    }

    /// The base URL: `--hub-url`, then `WORKTRAIL_HUB_URL`, then `worktrail.hubUrl`, then the
    /// public service.
    func baseURL(configured: String?) throws -> URL {
        let text = urlFlag ?? nonEmpty(environment[Self.urlVariable]) ?? configured ?? HubConfiguration.defaultBaseURL
        return try HubConfiguration.baseURL(from: text, allowInsecureHTTP: allowInsecureHTTP)
    }

    // MARK: - Credentials

    /// The credentials file: `$XDG_CONFIG_HOME/worktrail-git/credentials`.
    var credentialsFile: CredentialsFile {
        CredentialsFile(path: CredentialsFile.defaultPath(environment: environment))
    }

    /// Each credential from its variable, or else from the credentials file; any may be missing.
    ///
    /// - Throws: `CredentialsFileError` for a credentials file that others can read or that
    ///   cannot be parsed.
    func availableCredentials() throws -> StoredCredentials {
        let file = try credentialsFile.read() ?? StoredCredentials()
        return StoredCredentials(
            appKey: nonEmpty(environment[Self.appKeyVariable]) ?? file.appKey,
            secretAPIKey: nonEmpty(environment[Self.secretVariable]) ?? file.secretAPIKey,
            authToken: nonEmpty(environment[Self.tokenVariable]) ?? file.authToken
        )
    }

    /// The credentials, each from the environment or else the credentials file; nil when none
    /// of the three is set anywhere.
    ///
    /// - Throws: `CommandError` naming the variables still missing when only some are set;
    ///   `CredentialsFileError` for a credentials file that cannot be used.
    func credentials() throws -> HubCredentials? {
        let available = try availableCredentials()
        if available.appKey == nil && available.secretAPIKey == nil && available.authToken == nil { return nil }
        guard let appKey = available.appKey, let secret = available.secretAPIKey, let token = available.authToken
        else {
            throw CommandError(
                "Hub credentials are incomplete: set \(Self.missing(in: available).joined(separator: " and "))"
                    + " as well, or run 'worktrail-git auth'"
            )
        }
        return HubCredentials(appKey: appKey, secretAPIKey: secret, authToken: token)
    }

    /// The variables whose credential is set neither there nor in the file.
    static func missing(in credentials: StoredCredentials) -> [String] {
        [
            (appKeyVariable, credentials.appKey), (secretVariable, credentials.secretAPIKey),
            (tokenVariable, credentials.authToken),
        ]
        .filter { $0.1 == nil }
        .map(\.0)
    }

    // MARK: - Client

    /// A client for `baseURL`, with the timeout and retries of the environment and a logger that
    /// shows each retry under `--verbose`.
    ///
    /// - Throws: `CommandError` for a malformed `WORKTRAIL_HUB_*` setting.
    func client(baseURL: URL, credentials: HubCredentials?, console: Console) throws -> HubClient {
        var retry = RetryPolicy()
        if let attempts = try number(Self.attemptsVariable) {
            guard attempts >= 1, attempts == attempts.rounded() else {
                throw CommandError("\(Self.attemptsVariable) must be a whole number of attempts, 1 or more")
            }
            retry.maximumAttempts = Int(attempts)
        }
        if let delay = try number(Self.retryDelayVariable) { retry.baseDelay = delay }
        var configuration = HubConfiguration(
            baseURL: baseURL,
            credentials: credentials,
            requestTimeout: try number(Self.timeoutVariable) ?? 30,
            allowInsecureHTTP: allowInsecureHTTP,
            retry: retry
        )
        configuration.userAgent = "worktrail-git/\(CLI.version)"
        return HubClient(configuration: configuration, logger: console.logger(verbose: verbose))
    }

    private func number(_ variable: String) throws -> Double? {
        guard let text = nonEmpty(environment[variable]) else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            let what = variable == Self.attemptsVariable ? "a whole number of attempts" : "a number of seconds"
            throw CommandError("\(variable) must be \(what), not '\(text)'")
        }
        return value
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return value
    }
}

extension Console {
    /// A logger that prints the Hub client's messages on stderr: `warning:` and worse always,
    /// `debug:` (each retry) only with `--verbose`. Messages never hold a credential.
    func logger(verbose: Bool) -> HubLogger {
        HubLogger(minimumLevel: verbose ? .debug : .warning) { level, message, metadata in
            let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let label = level <= .debug ? "debug" : level <= .warning ? "warning" : "error"
            self.error("\(label): \(message)" + (details.isEmpty ? "" : " (\(details))"))
        }
    }
}
