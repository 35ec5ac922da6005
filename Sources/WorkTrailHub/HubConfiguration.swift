import Foundation

/// Where the Hub is, how to talk to it, and the defaults for every request.
public struct HubConfiguration: Sendable {
    /// The public service.
    public static let defaultBaseURL = "https://worktrail.net"
    /// Entries per create request when a caller does not say: large enough that a request's
    /// overhead hardly counts, small enough that one request stays well under a megabyte.
    public static let defaultBatchSize = 500

    public var baseURL: URL
    public var credentials: HubCredentials?
    /// How long one request may wait for its answer. URLSession on Linux counts whole seconds.
    public var requestTimeout: TimeInterval
    /// Allows plain `http://` to a host that is not on loopback; the secrets then cross the
    /// network readable by anyone on the path.
    public var allowInsecureHTTP: Bool
    /// When failed requests are tried again.
    public var retry: RetryPolicy
    /// Entries per create request for `HubClient.deliver`.
    public var batchSize: Int
    /// What entries are checked against, and cut to, before they leave.
    public var entryRules: EntryRules
    /// The `User-Agent` header: the application and its version.
    public var userAgent = "worktrail-hub-client"

    public init(
        baseURL: URL,
        credentials: HubCredentials?,
        requestTimeout: TimeInterval = 30,
        allowInsecureHTTP: Bool = false,
        retry: RetryPolicy = RetryPolicy(),
        batchSize: Int = HubConfiguration.defaultBatchSize,
        entryRules: EntryRules = EntryRules()
    ) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        self.allowInsecureHTTP = allowInsecureHTTP
        self.retry = retry
        self.batchSize = max(1, batchSize)
        self.entryRules = entryRules
    }

    /// Parses a base URL given by a user, refusing what cannot be used safely.
    ///
    /// - Parameters:
    ///   - text: the URL as given, such as `https://worktrail.net`.
    ///   - allowInsecureHTTP: whether plain `http://` to a host other than loopback is allowed.
    /// - Returns: the URL, to use as `baseURL`.
    /// - Throws: `HubError.invalidConfiguration` for a URL that is not http(s), carries a user
    ///   name or password, or uses plain http to a host other than loopback without
    ///   `allowInsecureHTTP`.
    public static func baseURL(from text: String, allowInsecureHTTP: Bool) throws(HubError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, let url = components.url
        else {
            throw .invalidConfiguration("the Hub URL is not a valid URL; give one such as \(defaultBaseURL)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .invalidConfiguration("the Hub URL's port \(port) is not a port number (1 to 65535)")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidConfiguration(
                "the Hub URL must not contain a user name or password; give credentials in the environment instead"
            )
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidConfiguration("the Hub URL must not have a query or fragment")
        }
        switch scheme {
        case "https":
            return url
        case "http" where isLoopback(host) || allowInsecureHTTP:
            return url
        case "http":
            throw .invalidConfiguration(
                "refusing plain http to \(host): the Hub's credentials would cross the network unencrypted;"
                    + " use https, or pass --allow-insecure-http if you really mean it"
            )
        default:
            throw .invalidConfiguration("the Hub URL must start with https://")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// Settings for one call that differ from the client's configuration; nil keeps the default.
public struct RequestOptions: Sendable, Equatable {
    /// How long the call's request may wait for an answer.
    public var timeout: TimeInterval?
    /// When the call is tried again.
    public var retry: RetryPolicy?

    public init(timeout: TimeInterval? = nil, retry: RetryPolicy? = nil) {
        self.timeout = timeout
        self.retry = retry
    }
}
