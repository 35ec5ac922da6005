/// What an auth token may do, as named in a token request.
public enum TokenScope: String, Sendable, CaseIterable {
    case readEmployees = "read-employees"
    case syncHubData = "sync-hub-data"
    case readTasks = "read-tasks"
    case writeTasks = "write-tasks"
    case readWorkEntries = "read-workentries"
    case writeWorkEntries = "write-workentries"
}

/// A token request's answer: the token, the URL a manager opens to approve it, and the key to
/// poll with.
///
/// Its descriptions never show the token.
public struct TokenRequest: Sendable, Equatable, Decodable, CustomStringConvertible {
    /// The token, valid once approved.
    public var authToken: String
    public var redirectURL: String
    public var requestKey: String

    enum CodingKeys: String, CodingKey {
        case authToken = "authtoken"
        case redirectURL = "redirecturl"
        case requestKey = "requestkey"
    }

    public var description: String {
        "TokenRequest(authToken: <redacted>, redirectURL: \(redirectURL), requestKey: \(requestKey))"
    }
}

/// Where a token request stands.
public enum TokenStatus: Sendable, Equatable {
    /// Approved: the token works.
    case active
    /// Refused by a manager: the token will never work.
    case rejected
    /// Not decided yet, with the status the Hub gave.
    case pending(String)
}
