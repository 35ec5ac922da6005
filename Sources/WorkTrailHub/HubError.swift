/// Why a call to the Hub failed.
///
/// The cases tell apart what a caller must treat differently: nothing was sent
/// (`invalidConfiguration`, `invalidEntry`, `cannotConnect`), the request may have been acted
/// on (`outcomeUnknown`), the Hub refused it (`httpStatus`, `api`), or its answer could not be
/// read (`malformedResponse`). No description includes a credential: they travel in headers
/// only, the URLs that appear here were checked to carry no user information, and text quoted
/// from an answer has any credential replaced.
public enum HubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration cannot work (an insecure or malformed URL, missing credentials).
    case invalidConfiguration(String)
    /// The client refused to send the entry at `index` of the request (counting from 0).
    case invalidEntry(index: Int, problem: EntryProblem)
    /// No connection could be made: the request never left, so nothing was stored.
    case cannotConnect(host: String, detail: String)
    /// The connection broke after the request may have been sent: the Hub may have stored it.
    case connectionLost(detail: String)
    /// No answer came in time: the Hub may have stored the request.
    case timedOut(seconds: Double)
    /// An HTTP status other than 2xx, with no API error in the body (an excerpt of which is kept).
    case httpStatus(Int, body: String)
    /// The Hub answered with an `error` member (even with HTTP 200): its message, `errortype`,
    /// `errorobj` (rendered compactly) and the HTTP status.
    case api(message: String, type: String?, object: String?, status: Int)
    /// A 2xx answer that was not what the protocol describes; the Hub may have acted on it.
    case malformedResponse(String)
    /// A `created` list that held ids for only `identified` of the `sent` entries.
    case incompleteCreated(sent: Int, identified: Int)
    /// The request was retried and failed every time; `last` is the final failure, and
    /// `outcomeUnknown` says whether any attempt may have been acted on.
    indirect case gaveUp(attempts: Int, last: HubError, outcomeUnknown: Bool)
    /// The task was cancelled while the request was on its way or waiting to be retried.
    case cancelled

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return message
        case .invalidEntry(let index, let problem):
            return "entry \(index) was not sent: \(problem)"
        case .cannotConnect(let host, let detail):
            return "cannot connect to the Hub at \(host): \(detail)"
        case .connectionLost(let detail):
            return "the connection to the Hub broke before it answered: \(detail)"
        case .timedOut(let seconds):
            return "the Hub did not answer within \(Self.format(seconds)) seconds"
        case .httpStatus(let status, let body):
            let excerpt = body.isEmpty ? "" : ": \(body)"
            return "the Hub answered HTTP \(status)\(excerpt)"
        case .api(let message, let type, let object, _):
            var text = "the Hub refused the request: \(message)"
            if let type { text += " (\(type))" }
            if let object { text += " \(object)" }
            return text
        case .malformedResponse(let detail):
            return "the Hub's answer was not understood: \(detail)"
        case .incompleteCreated(let sent, let identified):
            return "the Hub returned ids for \(identified) of \(sent) entries"
        case .gaveUp(let attempts, let last, let outcomeUnknown):
            var text = "\(last) (gave up after \(attempts) attempts"
            if outcomeUnknown && !last.outcomeUnknown { text += "; an earlier attempt may have reached the Hub" }
            return text + ")"
        case .cancelled:
            return "the request to the Hub was cancelled"
        }
    }

    /// Whether the Hub may have acted on the request although no usable answer arrived, so
    /// that sending it again may store its entries twice.
    public var outcomeUnknown: Bool {
        switch self {
        case .connectionLost, .timedOut, .malformedResponse, .cancelled: true
        case .gaveUp(_, _, let unknown): unknown
        default: false
        }
    }

    /// Whether the request itself is invalid: the Hub said `invalid-model`, or the client
    /// refused an entry before sending. Sending the same request again cannot succeed.
    public var isInvalidModel: Bool {
        switch self {
        case .api(_, let type, _, _): type == "invalid-model"
        case .invalidEntry: true
        default: false
        }
    }

    /// Whether the Hub refused the credentials (`errortype` `auth`, or HTTP 401 or 403).
    public var isAuthorizationFailure: Bool {
        switch self.final {
        case .api(_, let type, _, let status): type == "auth" || status == 401 || status == 403
        case .httpStatus(let status, _): status == 401 || status == 403
        default: false
        }
    }

    /// The failure of the last attempt: `last` for `gaveUp`, the error itself otherwise.
    public var final: HubError {
        if case .gaveUp(_, let last, _) = self { return last.final }
        return self
    }

    /// Whether trying the same request again later may succeed: connection failures, timeouts,
    /// HTTP 429 and 5xx. Never validation or authorization failures.
    var isTransient: Bool {
        switch self {
        case .cannotConnect, .connectionLost, .timedOut: true
        case .httpStatus(let status, _): Self.isTransient(status: status)
        case .api(_, let type, _, let status):
            type != "invalid-model" && type != "auth" && Self.isTransient(status: status)
        default: false
        }
    }

    private static func isTransient(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
