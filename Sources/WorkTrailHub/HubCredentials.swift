/// The three secrets that authorize an app against one company's Hub.
///
/// Its descriptions never show the secrets, so that a credentials value printed by accident,
/// in a log line or an error, leaks nothing.
public struct HubCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The app's identifier (`X-APPKEY`).
    public var appKey: String
    /// The app's secret API key (`X-SECRETAPIKEY`).
    public var secretAPIKey: String
    /// The token that grants the app access to one company (`X-AUTHTOKEN`); nil before the
    /// token flow has run.
    public var authToken: String?

    public init(appKey: String, secretAPIKey: String, authToken: String?) {
        self.appKey = appKey
        self.secretAPIKey = secretAPIKey
        self.authToken = authToken
    }

    /// The request headers that carry the credentials, the way the protocol prefers them.
    var headers: [String: String] {
        var headers = ["X-APPKEY": appKey, "X-SECRETAPIKEY": secretAPIKey]
        if let authToken { headers["X-AUTHTOKEN"] = authToken }
        return headers
    }

    public var description: String {
        "HubCredentials(appKey: <redacted>, secretAPIKey: <redacted>, authToken: "
            + (authToken == nil ? "none)" : "<redacted>)")
    }

    public var debugDescription: String { description }
}
