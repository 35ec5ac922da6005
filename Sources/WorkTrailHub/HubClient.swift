import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the Hub is and how to talk to it.
public struct HubConfiguration: Sendable {
    /// The public service.
    public static let defaultBaseURL = "https://worktrail.net"

    public var baseURL: URL
    public var credentials: HubCredentials?
    /// How long one request may wait for its answer.
    public var requestTimeout: TimeInterval
    /// Allows plain `http://` to a host that is not on loopback; the secrets then cross the
    /// network readable by anyone on the path.
    public var allowInsecureHTTP: Bool

    public init(
        baseURL: URL,
        credentials: HubCredentials?,
        requestTimeout: TimeInterval = 30,
        allowInsecureHTTP: Bool = false
    ) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        self.allowInsecureHTTP = allowInsecureHTTP
    }

    /// Parses a base URL given by a user, refusing what cannot be used safely.
    ///
    /// - Throws: `HubError.invalidConfiguration` for a URL that is not http(s), carries a user
    ///   name or password, or uses plain http to a host other than loopback without
    ///   `allowInsecureHTTP`.
    public static func baseURL(from text: String, allowInsecureHTTP: Bool) throws(HubError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url
        else {
            throw .invalidConfiguration("the Hub URL is not a valid URL; give one such as \(defaultBaseURL)")
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

/// A token request's answer: the URL a manager opens to approve, and the key to poll with.
public struct TokenRequest: Sendable, Equatable, Decodable {
    public var authToken: String
    public var redirectURL: String
    public var requestKey: String

    enum CodingKeys: String, CodingKey {
        case authToken = "authtoken"
        case redirectURL = "redirecturl"
        case requestKey = "requestkey"
    }
}

/// Where a token request stands.
public enum TokenStatus: Sendable, Equatable {
    case active
    case rejected
    case pending(String)
}

/// A client for the WorkTrail Hub: form-encoded `POST`s whose `data` field carries JSON.
public actor HubClient {
    public let configuration: HubConfiguration
    private let transport: any HTTPTransport
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    public init(configuration: HubConfiguration, transport: (any HTTPTransport)? = nil) {
        self.configuration = configuration
        self.transport = transport ?? URLSessionTransport(timeout: configuration.requestTimeout)
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    // MARK: - Entries

    /// Creates entries in one request (`/rest/hub/entries/create/`).
    ///
    /// - Returns: the new ids in the order sent, one per entry; nil where the Hub gave none
    ///   (a `created` list shorter than the batch, or a null in it). Only an entry with an id
    ///   was stored for sure.
    public func create(_ entries: [HubEntry]) async throws(HubError) -> [Int?] {
        struct Body: Encodable { var create: [HubEntry] }
        struct Answer: Decodable { var created: [Int?] }

        let answer: Answer = try await call("hub/entries/create/", data: Body(create: entries))
        var ids = Array(answer.created.prefix(entries.count))
        ids += Array(repeating: nil, count: entries.count - ids.count)
        return ids
    }

    /// Deletes every entry this app has created for the company (`/rest/hub/entries/clean/`).
    public func clean() async throws(HubError) {
        struct Answer: Decodable {}
        let _: Answer = try await call("hub/entries/clean/", fields: [:])
    }

    // MARK: - Company

    /// Lists every employee of the company, reading all pages (`/rest/employees/`).
    public func employees() async throws(HubError) -> [Employee] {
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
            let answer: Page = try await call("employees/", fields: [:], query: page == 1 ? nil : "page=\(page)")
            employees += answer.list
            guard page < answer.numPages, !answer.list.isEmpty else { return employees }
            page += 1
        }
    }

    /// The company the auth token belongs to (`/rest/company/`).
    public func company() async throws(HubError) -> Company {
        try await call("company/", fields: [:])
    }

    // MARK: - Token flow

    /// Asks for an auth token with the given scopes (`/rest/token/request/`); needs only the app
    /// key and secret.
    public func requestToken(scopes: [String]) async throws(HubError) -> TokenRequest {
        try await call("token/request/", fields: ["accesstype": "company", "scopes": scopes.joined(separator: ",")])
    }

    /// Asks whether a manager has approved the token request (`/rest/token/confirm/`).
    public func confirmToken(requestKey: String) async throws(HubError) -> TokenStatus {
        struct Answer: Decodable { var status: String }
        let answer: Answer = try await call("token/confirm/", fields: ["requestkey": requestKey])
        switch answer.status {
        case "active": return .active
        case "rejected": return .rejected
        default: return .pending(answer.status)
        }
    }

    // MARK: - Requests

    private func call<Answer: Decodable>(_ path: String, data: some Encodable) async throws(HubError) -> Answer {
        let json: Data
        do {
            json = try encoder.encode(data)
        } catch {
            throw .invalidConfiguration("an entry could not be encoded as JSON: \(error)")
        }
        return try await call(path, fields: ["data": String(decoding: json, as: UTF8.self)])
    }

    private func call<Answer: Decodable>(
        _ path: String,
        fields: [String: String],
        query: String? = nil
    ) async throws(HubError) -> Answer {
        let request = try makeRequest(path, fields: fields, query: query)
        let (body, response) = try await transport.send(request)
        return try decodeAnswer(body, status: response.statusCode)
    }

    private func makeRequest(_ path: String, fields: [String: String], query: String?) throws(HubError) -> URLRequest {
        var url = configuration.baseURL.appendingPathComponent("rest").appendingPathComponent(path)
        // appendingPathComponent drops the trailing slash the API wants.
        if !url.absoluteString.hasSuffix("/"), let withSlash = URL(string: url.absoluteString + "/") {
            url = withSlash
        }
        if let query, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.percentEncodedQuery = query
            url = components.url ?? url
        }
        var request = URLRequest(url: url, timeoutInterval: configuration.requestTimeout)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in configuration.credentials?.headers ?? [:] {
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.httpBody = Data(FormEncoding.encode(fields).utf8)
        return request
    }

    /// Reads an answer: an object with an `error` member is a failure whatever the status.
    private func decodeAnswer<Answer: Decodable>(_ body: Data, status: Int) throws(HubError) -> Answer {
        if let failure = try? decoder.decode(APIFailure.self, from: body) {
            throw .api(message: failure.error, type: failure.errortype, object: failure.errorobj?.compactText)
        }
        guard (200..<300).contains(status) else {
            throw .httpStatus(status, body: Self.excerpt(body))
        }
        do {
            return try decoder.decode(Answer.self, from: body)
        } catch {
            throw .malformedResponse("expected a JSON object for this call, got: \(Self.excerpt(body))")
        }
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
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    static func encode(_ fields: [String: String]) -> String {
        fields.sorted { $0.key < $1.key }
            .map { "\(escape($0.key))=\(escape($0.value))" }
            .joined(separator: "&")
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
