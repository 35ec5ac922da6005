import Foundation

extension StandInHub {
    /// A misbehaviour the stand-in shows for one request, so tests can check how a client copes.
    public enum Fault: Sendable, Equatable {
        /// Answers this status and body instead of handling the request (such as 503 with an HTML page).
        case status(Int, body: String, contentType: String = "text/html; charset=utf-8")
        /// Answers 429 with a `Retry-After` header of this many seconds.
        case rateLimited(retryAfter: Int)
        /// Reads the request, then closes the connection without answering.
        case dropConnection
        /// Waits this many seconds, then handles the request as usual (so it may be stored after a client gave up).
        case delay(seconds: Double)
        /// Answers 200 with this body and an HTML content type: a body that is not JSON.
        case nonJSON(String)
        /// Answers an `error` object, with HTTP 200 by default, and handles nothing.
        case errorJSON(message: String, errortype: String = "server-error", status: Int = 200)
        /// On a create request: stores only the first `count` entries and lists only their ids.
        case shortCreated(count: Int)
        /// On a create request: refuses the entries at these positions, answering `null` in their place.
        case createdWithNulls(at: Set<Int>)
        /// Writes this text to the socket as it is, as the whole answer, then closes the connection.
        case raw(String)
    }

    /// A fault waiting in the queue, with the path it is meant for.
    struct QueuedFault: Sendable {
        var fault: Fault
        /// nil matches any path.
        var path: String?
    }

    /// What a connection does after a request was handled.
    enum Outcome: Sendable {
        /// Write this response; `close` ends the connection after it.
        case respond(HTTPResponse, close: Bool)
        /// Close without writing anything.
        case drop
        /// Write these bytes as they are, then close.
        case raw([UInt8])
    }

    /// Queues a fault for the next request to `path` (any path when nil), `times` times in a row.
    ///
    /// Faults are taken first in, first out: a request takes the oldest queued fault whose path matches it.
    public func enqueueFault(_ fault: Fault, path: String? = nil, times: Int = 1) {
        withLock {
            for _ in 0..<max(0, times) {
                state.faults.append(QueuedFault(fault: fault, path: path))
            }
        }
    }

    /// Drops every queued fault.
    public func clearFaults() {
        withLock { state.faults.removeAll() }
    }

    /// The number of faults not yet applied.
    public var pendingFaultCount: Int {
        withLock { state.faults.count }
    }

    /// Removes and returns the oldest fault meant for `path`. Must be called with the lock held.
    func takeFault(forPath path: String) -> Fault? {
        guard let index = state.faults.firstIndex(where: { $0.path == nil || $0.path == path }) else { return nil }
        return state.faults.remove(at: index).fault
    }

    /// The outcome of a fault that replaces handling altogether; nil for faults that only change how it goes.
    static func replacementOutcome(for fault: Fault) -> Outcome? {
        switch fault {
        case .status(let status, let body, let contentType):
            return .respond(.text(body, status: status, contentType: contentType), close: false)
        case .rateLimited(let seconds):
            var response = HTTPResponse.text(
                "<html><body><h1>429 Too Many Requests</h1></body></html>", status: 429,
                contentType: "text/html; charset=utf-8"
            )
            response.headers.append(("Retry-After", String(seconds)))
            return .respond(response, close: false)
        case .dropConnection:
            return .drop
        case .nonJSON(let body):
            return .respond(.text(body, status: 200, contentType: "text/html; charset=utf-8"), close: false)
        case .errorJSON(let message, let errortype, let status):
            return .respond(.json(["error": .string(message), "errortype": .string(errortype)], status: status),
                            close: false)
        case .raw(let text):
            return .raw(Array(text.utf8))
        case .delay, .shortCreated, .createdWithNulls:
            return nil
        }
    }
}
