/// Why a call to the Hub failed.
///
/// No description includes a credential: they travel in headers only, and the URLs that
/// appear here were checked to carry no user information.
public enum HubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration cannot work (an insecure or malformed URL, missing credentials).
    case invalidConfiguration(String)
    /// No connection could be made: the request never left, so nothing was stored.
    case cannotConnect(host: String, detail: String)
    /// The connection broke after the request may have been sent: the Hub may have stored it.
    case connectionLost(detail: String)
    /// No answer came in time: the Hub may have stored the request.
    case timedOut(seconds: Double)
    /// An HTTP status other than 2xx, with no API error in the body.
    case httpStatus(Int, body: String)
    /// The Hub answered with an `error` member (even with HTTP 200).
    case api(message: String, type: String?, object: String?)
    /// The answer was not what the protocol describes.
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return message
        case .cannotConnect(let host, let detail):
            return "cannot connect to the Hub at \(host): \(detail)"
        case .connectionLost(let detail):
            return "the connection to the Hub broke before it answered: \(detail)"
        case .timedOut(let seconds):
            return "the Hub did not answer within \(Self.format(seconds)) seconds"
        case .httpStatus(let status, let body):
            let excerpt = body.isEmpty ? "" : ": \(body)"
            return "the Hub answered HTTP \(status)\(excerpt)"
        case .api(let message, let type, let object):
            var text = "the Hub refused the request: \(message)"
            if let type { text += " (\(type))" }
            if let object { text += " \(object)" }
            return text
        case .malformedResponse(let detail):
            return "the Hub's answer was not understood: \(detail)"
        }
    }

    /// Whether the Hub may have acted on the request although no answer arrived, so that
    /// sending it again may store its entries twice.
    public var outcomeUnknown: Bool {
        switch self {
        case .connectionLost, .timedOut: true
        default: false
        }
    }

    /// Whether the Hub judged the request itself invalid (`errortype` `invalid-model`).
    public var isInvalidModel: Bool {
        if case .api(_, let type, _) = self { return type == "invalid-model" }
        return false
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
