import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends one HTTP request and returns the answer; the seam between the Hub client and the network.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and waits for the whole answer, at most `request.timeoutInterval` seconds.
    ///
    /// - Throws: `HubError.cannotConnect`, `.connectionLost`, `.timedOut` or `.cancelled`;
    ///   an answer with any HTTP status is returned, not thrown.
    func send(_ request: URLRequest) async throws(HubError) -> (Data, HTTPURLResponse)
}

/// The production transport: one `URLSession`, whose connections stay open between requests.
///
/// Each request's timeout is enforced here, from `URLRequest.timeoutInterval`, because
/// URLSession on Linux applies its session-wide timeout, in whole seconds, whatever the request
/// asks for. Certificate checks are URLSession's own and are never turned off.
// URLSession is thread-safe and the class holds nothing else, hence @unchecked.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession

    /// Creates a transport whose requests wait at most `timeout` seconds unless they say otherwise.
    public init(timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        // The per-request timer below is the real limit; URLSession's own only backs it up.
        configuration.timeoutIntervalForRequest = max(timeout, 1) * 4 + 60
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: configuration, delegate: RedirectRefusal(), delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: URLRequest) async throws(HubError) -> (Data, HTTPURLResponse) {
        let exchange = Exchange()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Exchange.Result, Never>) in
                let task = session.dataTask(with: request) { data, response, error in
                    continuation.resume(returning: exchange.finish(data: data, response: response, error: error))
                }
                exchange.start(task, timeout: request.timeoutInterval)
            }
        } onCancel: {
            exchange.cancel()
        }

        switch result {
        case .answer(let data, let response):
            return (data, response)
        case .timedOut:
            throw .timedOut(seconds: request.timeoutInterval)
        case .cancelled:
            throw .cancelled
        case .failed(let error):
            throw Self.classify(error, request: request)
        case .notHTTP:
            throw .malformedResponse("not an HTTP response")
        }
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
        case .badServerResponse, .cannotParseResponse: "the server's answer was not valid HTTP"
        case .badURL, .unsupportedURL: "the URL cannot be used"
        case .zeroByteResource: "the server answered nothing"
        default: "network error \(error.code.rawValue)"
        }
    }
}

/// Refuses every HTTP redirect, so the 3xx answer itself comes back to the client.
///
/// Following one would send the credential headers to wherever the server points, maybe
/// another host or plain http, and a 301 or 302 would also turn the POST into a GET.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // @unchecked Sendable: the delegate has no state.
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// One request in flight: its task, and whether a timeout or a cancellation ended it first.
// @unchecked Sendable: every member is only touched while `lock` is held.
private final class Exchange: @unchecked Sendable {
    enum Result {
        case answer(Data, HTTPURLResponse)
        case timedOut
        case cancelled
        case failed(any Error)
        case notHTTP
    }

    private enum Ending { case running, timedOut, cancelled }

    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var ending = Ending.running
    private var cancelledBeforeStart = false

    /// Starts `task`, and a timer that cancels it after `timeout` seconds.
    func start(_ task: URLSessionDataTask, timeout: TimeInterval) {
        let startNow = lock.withLock {
            self.task = task
            return !cancelledBeforeStart
        }
        guard startNow else {
            task.cancel()
            return
        }
        task.resume()
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0.001, timeout)) { [weak self] in
            self?.end(.timedOut)
        }
    }

    func cancel() {
        end(.cancelled)
    }

    private func end(_ reason: Ending) {
        let task = lock.withLock { () -> URLSessionDataTask? in
            guard ending == .running else { return nil }
            ending = reason
            if self.task == nil { cancelledBeforeStart = true }
            return self.task
        }
        task?.cancel()
    }

    /// Turns URLSession's completion into a result; a timeout or cancellation explains the
    /// error a cancelled task reports, but an answer that arrived is kept.
    func finish(data: Data?, response: URLResponse?, error: (any Error)?) -> Result {
        let reason = lock.withLock { () -> Ending in
            let reason = ending
            // Whatever comes later no longer matters.
            if ending == .running { ending = .cancelled }
            return reason
        }
        if error != nil {
            switch reason {
            case .timedOut: return .timedOut
            case .cancelled: return .cancelled
            case .running: break
            }
        }
        if let error { return .failed(error) }
        guard let http = response as? HTTPURLResponse else { return .notHTTP }
        return .answer(data ?? Data(), http)
    }
}
