import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one HTTP request and returns the answer; the seam between the Hub client and the network.
public protocol HTTPTransport: Sendable {
    func send(_ request: URLRequest) async throws(HubError) -> (Data, HTTPURLResponse)
}

/// The production transport: one `URLSession`, whose connections stay open between requests.
// URLSession is thread-safe and the class holds nothing else, hence @unchecked.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession

    public init(timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: URLRequest) async throws(HubError) -> (Data, HTTPURLResponse) {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw Self.classify(error, request: request)
        }
        guard let http = response as? HTTPURLResponse else {
            throw HubError.malformedResponse("not an HTTP response")
        }
        return (data, http)
    }

    /// Sorts URLSession's errors by whether the request may have reached the Hub.
    static func classify(_ error: any Error, request: URLRequest) -> HubError {
        let host = request.url?.host ?? "?"
        guard let urlError = error as? URLError else {
            return .connectionLost(detail: String(describing: type(of: error)))
        }
        switch urlError.code {
        case .timedOut:
            return .timedOut(seconds: request.timeoutInterval)
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet,
             .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .badURL, .unsupportedURL:
            return .cannotConnect(host: host, detail: Self.describe(urlError))
        default:
            return .connectionLost(detail: Self.describe(urlError))
        }
    }

    // URLError's own description repeats the whole URL; the code's name and number are enough.
    private static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "host not found"
        case .networkConnectionLost: "connection closed by the server"
        case .secureConnectionFailed: "TLS handshake failed"
        case .serverCertificateUntrusted, .serverCertificateHasUnknownRoot: "the server's certificate is not trusted"
        case .serverCertificateHasBadDate, .serverCertificateNotYetValid: "the server's certificate is not valid now"
        default: "network error \(error.code.rawValue)"
        }
    }
}
