import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client for the WorkTrail Hub: form-encoded `POST`s whose `data` field carries JSON.
///
/// Every call goes through one path: the request is built with the credentials in headers,
/// sent through the transport, tried again on transient failures (see `RetryPolicy`), and its
/// answer checked for an `error` member before it is decoded. Connections are kept open
/// between calls by the transport, so one client should serve a whole run.
public actor HubClient {
    public let configuration: HubConfiguration
    private let injectedTransport: (any HTTPTransport)?
    private var sessionTransport: URLSessionTransport?

    /// The given transport, or a URLSession one made on the first request: a run with nothing
    /// to send never sets up URLSession.
    private var transport: any HTTPTransport {
        if let injectedTransport { return injectedTransport }
        if let sessionTransport { return sessionTransport }
        let made = URLSessionTransport(timeout: configuration.requestTimeout)
        sessionTransport = made
        return made
    }
    private let logger: HubLogger
    private let decoder = JSONDecoder()

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - configuration: the Hub, the credentials and the defaults for every call.
    ///   - transport: sends the requests; nil for a `URLSessionTransport`.
    ///   - logger: receives a `trace` line per request and a `debug` line per retry.
    public init(configuration: HubConfiguration, transport: (any HTTPTransport)? = nil, logger: HubLogger = .disabled) {
        self.configuration = configuration
        injectedTransport = transport
        self.logger = logger
    }

    // MARK: - Entries

    /// Creates entries in one request (`/rest/hub/entries/create/`).
    ///
    /// The entries are checked and their summaries trimmed and cut first (see `EntryRules`);
    /// when one fails the check, nothing is sent.
    ///
    /// - Parameters:
    ///   - entries: the entries, in the order their ids are wanted.
    ///   - retryWhenOutcomeUnknown: whether a request that timed out or lost its connection is
    ///     sent again. Sending again may store entries twice; pass false for at-most-once.
    ///   - options: a timeout or retry policy for this call only.
    /// - Returns: the new ids in the order sent, one per entry; nil where the Hub gave none
    ///   (a `created` list shorter than the batch, or a null in it). Only an entry with an id
    ///   was stored for sure.
    /// - Throws: `HubError`; `.invalidEntry` and the Hub's `invalid-model` answer have
    ///   `isInvalidModel` set, and `outcomeUnknown` says whether the entries may have been stored.
    public func create(
        _ entries: [HubEntry],
        retryWhenOutcomeUnknown: Bool = true,
        options: RequestOptions = RequestOptions()
    ) async throws(HubError) -> [Int?] {
        var checked: [HubEntry] = []
        checked.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            do {
                checked.append(try entry.validated(by: configuration.entryRules))
            } catch {
                throw .invalidEntry(index: index, problem: error)
            }
        }
        return try await create(validated: checked, retryWhenOutcomeUnknown: retryWhenOutcomeUnknown, options: options)
    }

    /// `create` for entries that already passed `validated(by:)`.
    ///
    /// - Parameter data: `createData(entries)` when the caller prepared it already.
    func create(
        validated entries: [HubEntry],
        data: String? = nil,
        retryWhenOutcomeUnknown: Bool,
        options: RequestOptions
    ) async throws(HubError) -> [Int?] {
        // {"created": [1001, 1002, null, ...]}
        struct Answer: Decodable { var created: [Int?] }

        guard !entries.isEmpty else { return [] }
        let body: String
        if let data {
            body = data
        } else {
            body = try Self.createData(entries)
        }
        let answer: Answer = try await call(
            "hub/entries/create/",
            fields: ["data": body],
            retryWhenOutcomeUnknown: retryWhenOutcomeUnknown,
            options: options
        )
        var ids = Array(answer.created.prefix(entries.count))
        ids += Array(repeating: nil, count: entries.count - ids.count)
        return ids
    }

    /// Deletes every entry this app has created for the company (`/rest/hub/entries/clean/`).
    ///
    /// - Parameter options: a timeout or retry policy for this call only.
    public func clean(options: RequestOptions = RequestOptions()) async throws(HubError) {
        struct Answer: Decodable {}
        let _: Answer = try await call("hub/entries/clean/", fields: [:], options: options)
    }

    // MARK: - Company

    /// Lists every employee of the company, reading all pages (`/rest/employees/`).
    ///
    /// - Parameter options: a timeout or retry policy for each page's request.
    /// - Returns: the employees of every page, in the Hub's order.
    public func employees(options: RequestOptions = RequestOptions()) async throws(HubError) -> [Employee] {
        // {"list": [{"id": 1, "first_name": ..., ...}], "num_pages": 3, "page": 1}
        struct Page: Decodable {
            var list: [Employee]
            var numPages: Int
            enum CodingKeys: String, CodingKey {
                case list
                case numPages = "num_pages"
            }
        }
        var employees: [Employee] = []
        var page = 1
        while true {
            let answer: Page = try await call(
                "employees/",
                fields: [:],
                query: page == 1 ? nil : "page=\(page)",
                options: options
            )
            employees += answer.list
            guard page < answer.numPages, !answer.list.isEmpty else { return employees }
            page += 1
        }
    }

    /// The company the auth token belongs to (`/rest/company/`); a harmless call for checking
    /// the URL and the credentials.
    ///
    /// - Parameter options: a timeout or retry policy for this call only.
    public func company(options: RequestOptions = RequestOptions()) async throws(HubError) -> Company {
        try await call("company/", fields: [:], options: options)
    }

    // MARK: - Token flow

    /// Asks for an auth token with the given scopes (`/rest/token/request/`); needs only the app
    /// key and secret.
    ///
    /// - Parameters:
    ///   - scopes: what the token may do.
    ///   - options: a timeout or retry policy for this call only.
    /// - Returns: the token, valid once a manager opens `redirectURL` and approves.
    public func requestToken(
        scopes: [TokenScope],
        options: RequestOptions = RequestOptions()
    ) async throws(HubError) -> TokenRequest {
        try await call(
            "token/request/",
            fields: ["accesstype": "company", "scopes": scopes.map(\.rawValue).joined(separator: ",")],
            options: options
        )
    }

    /// Asks whether a manager has approved the token request (`/rest/token/confirm/`).
    ///
    /// - Parameters:
    ///   - requestKey: `TokenRequest.requestKey`.
    ///   - options: a timeout or retry policy for this call only.
    public func confirmToken(
        requestKey: String,
        options: RequestOptions = RequestOptions()
    ) async throws(HubError) -> TokenStatus {
        // {"status": "active"}
        struct Answer: Decodable { var status: String }
        let answer: Answer = try await call("token/confirm/", fields: ["requestkey": requestKey], options: options)
        switch answer.status {
        case "active": return .active
        case "rejected": return .rejected
        default: return .pending(answer.status)
        }
    }

    // MARK: - Requests

    /// The `data` field of a create request, `{"create": [entry, ...]}`; callable from any task,
    /// so that a batch can be encoded while the one before it is on its way.
    nonisolated static func createData(_ entries: [HubEntry]) throws(HubError) -> String {
        struct Body: Encodable { var create: [HubEntry] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(Body(create: entries)), as: UTF8.self)
        } catch {
            throw .invalidConfiguration("a request could not be encoded as JSON: \(error)")
        }
    }

    /// Sends one call, retrying transient failures, and decodes its answer.
    private func call<Answer: Decodable>(
        _ path: String,
        fields: [String: String],
        query: String? = nil,
        retryWhenOutcomeUnknown: Bool = true,
        options: RequestOptions
    ) async throws(HubError) -> Answer {
        let policy = options.retry ?? configuration.retry
        let request = makeRequest(path, fields: fields, query: query, timeout: options.timeout)
        let started = ContinuousClock.now
        var attempt = 1
        var outcomeUnknown = false
        while true {
            logger.trace("hub request", metadata: ["hub.path": path, "hub.attempt": String(attempt)])
            let failure: HubError
            var retryAfter: TimeInterval?
            do {
                let (body, response) = try await transport.send(request)
                do throws(HubError) {
                    if (300..<400).contains(response.statusCode) {
                        throw .invalidConfiguration(Self.redirectMessage(response, from: request))
                    }
                    return try decodeAnswer(body, status: response.statusCode)
                } catch {
                    failure = error
                    retryAfter = RetryPolicy.parseRetryAfter(response.value(forHTTPHeaderField: "Retry-After"))
                }
            } catch {
                failure = error
            }
            outcomeUnknown = outcomeUnknown || failure.outcomeUnknown
            let giveUp =
                attempt == 1 ? failure : .gaveUp(attempts: attempt, last: failure, outcomeUnknown: outcomeUnknown)

            guard failure.isTransient, retryWhenOutcomeUnknown || !failure.outcomeUnknown,
                attempt < policy.maximumAttempts, !Task.isCancelled
            else { throw giveUp }
            let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0...1))
            let elapsed = started.duration(to: .now)
            guard elapsed + .seconds(delay) <= .seconds(policy.maximumTotalTime) else { throw giveUp }

            logger.debug(
                "retrying hub request",
                metadata: [
                    "hub.path": path, "hub.attempt": String(attempt), "hub.delay": String(format: "%.2f", delay),
                    "hub.error": failure.description,
                ]
            )
            do {
                try await Task.sleep(for: .seconds(delay))
            } catch {
                throw .cancelled
            }
            attempt += 1
        }
    }

    private func makeRequest(_ path: String, fields: [String: String], query: String?, timeout: TimeInterval?)
        -> URLRequest
    {
        var url = configuration.baseURL.appendingPathComponent("rest").appendingPathComponent(path)
        // appendingPathComponent drops the trailing slash the API wants.
        if !url.absoluteString.hasSuffix("/"), let withSlash = URL(string: url.absoluteString + "/") {
            url = withSlash
        }
        if let query, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.percentEncodedQuery = query
            url = components.url ?? url
        }
        var request = URLRequest(url: url, timeoutInterval: timeout ?? configuration.requestTimeout)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue(configuration.userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in configuration.credentials?.headers ?? [:] {
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.httpBody = FormEncoding.encode(fields)
        return request
    }

    /// Says where a redirect pointed, without the target's user information or query.
    static func redirectMessage(_ response: HTTPURLResponse, from request: URLRequest) -> String {
        let from = request.url?.host ?? "?"
        var target = "another address"
        if let location = response.value(forHTTPHeaderField: "Location"),
            let resolved = URL(string: location, relativeTo: request.url),
            var components = URLComponents(url: resolved, resolvingAgainstBaseURL: true)
        {
            components.user = nil
            components.password = nil
            components.query = nil
            components.fragment = nil
            target = components.url?.absoluteString ?? target
        }
        return "the Hub at \(from) answered HTTP \(response.statusCode), a redirect to \(target); redirects are not"
            + " followed, so that the credentials go nowhere else: give the Hub's own address with --hub-url"
    }

    /// Reads an answer: an object with an `error` member is a failure whatever the status.
    ///
    /// A failure looks like `{"error": "...", "errortype": "invalid-model", "errorobj": {...}}`.
    private func decodeAnswer<Answer: Decodable>(_ body: Data, status: Int) throws(HubError) -> Answer {
        if let failure = try? decoder.decode(APIFailure.self, from: body) {
            throw .api(
                message: redacted(failure.error),
                type: failure.errortype,
                object: failure.errorobj.map { redacted($0.compactText) },
                status: status
            )
        }
        guard (200..<300).contains(status) else {
            throw .httpStatus(status, body: redacted(Self.excerpt(body)))
        }
        do {
            return try decoder.decode(Answer.self, from: body)
        } catch {
            throw .malformedResponse("expected a JSON object for this call, got: \(redacted(Self.excerpt(body)))")
        }
    }

    /// `text` with every credential replaced, for text that came from the server: a proxy
    /// that echoes the request must not make a message show a secret.
    private func redacted(_ text: String) -> String {
        guard let credentials = configuration.credentials else { return text }
        var text = text
        for secret in [credentials.appKey, credentials.secretAPIKey, credentials.authToken ?? ""] where !secret.isEmpty
        {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return text
    }

    /// The start of a body, for messages: one line, at most 200 characters.
    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(400), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

/// The body of a failed call: `{"error": "...", "errortype": "invalid-model", "errorobj": {...}}`.
private struct APIFailure: Decodable {
    var error: String
    var errortype: String?
    var errorobj: JSONValue?
}

/// `application/x-www-form-urlencoded` bodies: every byte but the unreserved ones percent-encoded.
enum FormEncoding {
    /// Encodes the fields, sorted by name, as `name=value&...`.
    static func encode(_ fields: [String: String]) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count * 3 + 2 })
        for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "&")) }
            escape(field.key, into: &bytes)
            bytes.append(UInt8(ascii: "="))
            escape(field.value, into: &bytes)
        }
        return Data(bytes)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func escape(_ text: String, into bytes: inout [UInt8]) {
        for byte in text.utf8 {
            if isUnreserved(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    /// `A-Z a-z 0-9 - . _ ~`
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
