import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import StandInHub

/// The secrets most tests configure.
let testCredentials = StandInHub.Credentials(appKey: "app-1", secretAPIKey: "secret-1", authToken: "token-1")

/// The headers that carry `testCredentials`.
let credentialHeaders = ["X-APPKEY": "app-1", "X-SECRETAPIKEY": "secret-1", "X-AUTHTOKEN": "token-1"]

/// A started stand-in; the caller stops it.
func startedHub(_ configuration: StandInHub.Configuration = .init(credentials: testCredentials)) throws -> StandInHub {
    let hub = StandInHub(configuration)
    try hub.start()
    return hub
}

/// One valid hub entry as JSON, with fields changed by `changes` (a `.null` removes a field).
func entryJSON(_ number: Int, _ changes: [String: StandInHub.JSONValue] = [:]) -> StandInHub.JSONValue {
    var fields: [String: StandInHub.JSONValue] = [
        "employee_id": 7, "time": .int(1_700_000_000 + number), "endtime": .int(1_700_000_060 + number),
        "srctype": "scm", "summary": .string("Commit number \(number)"),
        "link": .string("https://git.example.com/repo/commit/\(number)"), "privacy": "company",
    ]
    for (key, value) in changes {
        fields[key] = value.isNull ? nil : value
    }
    return .object(fields)
}

/// The `data` field of a create request for these entries.
func createData(_ entries: [StandInHub.JSONValue]) -> String {
    StandInHub.JSONValue.object(["create": .array(entries)]).jsonText
}

/// An answer as a URLSession client sees it.
struct Reply {
    var status: Int
    var response: HTTPURLResponse
    var body: Data

    var json: StandInHub.JSONValue? { try? StandInHub.JSONValue.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Posts form fields to the stand-in through URLSession, over real loopback HTTP.
func post(
    _ hub: StandInHub, _ path: String, fields: [(String, String)] = [], headers: [String: String] = credentialHeaders,
    session: URLSession = .shared, timeout: Double = 5
) async throws -> Reply {
    // Joined as text: appendingPathComponent would percent-encode the `?` of a query.
    guard let url = URL(string: hub.baseURL.absoluteString + path) else { throw URLError(.badURL) }
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
    for (name, value) in headers {
        request.setValue(value, forHTTPHeaderField: name)
    }
    request.httpBody = Data(StandInHub.formBody(fields).utf8)
    let (body, response) = try await session.data(for: request)
    guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
    return Reply(status: http.statusCode, response: http, body: body)
}

/// A session with its own connection pool, so connection reuse can be observed.
func makeSession(timeout: Double = 5) -> URLSession {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.httpMaximumConnectionsPerHost = 1
    return URLSession(configuration: configuration)
}
