import Foundation

/// A stand-in for the WorkTrail Hub: a real HTTP/1.1 server on 127.0.0.1, run inside the test process.
///
/// It answers the Hub's routes over loopback sockets, checks credentials and entries the way the real service would,
/// records every request and stored entry for assertions, and misbehaves on demand through queued faults.
///
/// ```swift
/// let hub = StandInHub()
/// try hub.start()
/// defer { hub.stop() }
/// // point the client at hub.baseURL, then look at hub.entries and hub.requests
/// ```
///
/// Call `stop()` when done: the listening and connection threads keep the server alive until then.
public final class StandInHub: @unchecked Sendable {
    // @unchecked Sendable: every mutable member lives in `state`, only touched while `condition` is locked.

    /// Everything that changes while the server runs; guarded by `condition`.
    struct State {
        var configuration: Configuration
        var requests: [RecordedRequest] = []
        var requestCount = 0
        var createRequestCount = 0
        var cleanCount = 0
        var entries: [StoredEntry] = []
        var storedEntryCount = 0
        var totalCreatedCount = 0
        var nextEntryID: Int
        var faults: [QueuedFault] = []
        var tokenRequests: [TokenRequest] = []
        var activatedTokens: Set<String> = []

        // Lifecycle of sockets and threads.
        var port = 0
        var isListening = false
        var listener: Int32?
        /// After `takeDown()`: a socket bound to the port, not listening, holding it for `bringUp()`.
        var reservedPort: Int32?
        var wakePipe: (read: Int32, write: Int32)?
        var acceptLoops = 0
        var openConnections: Set<Int32> = []
        var connectionThreads = 0
        var connectionCount = 0
        /// Bumped by every stop or take-down, so delayed answers notice and give up.
        var generation = 0

        init(configuration: Configuration) {
            self.configuration = configuration
            self.nextEntryID = configuration.firstEntryID
        }
    }

    /// Guards `state`, and wakes threads waiting for requests, for threads to end, or for a stop during a delay.
    let condition = NSCondition()
    var state: State

    /// Makes a stopped stand-in; `start()` opens it.
    public init(_ configuration: Configuration = Configuration()) {
        state = State(configuration: configuration)
    }

    /// Runs `body` with the lock held.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    // MARK: Configuration

    /// The configuration in force; setting it takes effect from the next request.
    public var configuration: Configuration {
        get { withLock { state.configuration } }
        set { withLock { state.configuration = newValue } }
    }

    /// Changes the configuration in place, atomically: `hub.update { $0.poisonedSummaries = ["bad"] }`.
    public func update(_ change: (inout Configuration) -> Void) {
        withLock { change(&state.configuration) }
    }

    // MARK: Address

    /// The port listened on; 0 before the first `start()`. It stays the same across `takeDown()` and `bringUp()`.
    public var port: Int {
        withLock { state.port }
    }

    /// `http://127.0.0.1:PORT`, the base URL to hand to a client.
    public var baseURL: URL {
        let text = "http://127.0.0.1:\(port)"
        guard let url = URL(string: text) else { preconditionFailure("not a URL: \(text)") }
        return url
    }

    /// Whether the server is accepting connections.
    public var isUp: Bool {
        withLock { state.isListening }
    }

    // MARK: Records

    /// Connections accepted since the start; fewer connections than requests shows keep-alive reuse.
    public var connectionCount: Int {
        withLock { state.connectionCount }
    }

    /// Every request received, oldest first (empty when `recordsRequests` is off).
    public var requests: [RecordedRequest] {
        withLock { state.requests }
    }

    /// The recorded requests to one path.
    public func requests(to path: String) -> [RecordedRequest] {
        withLock { state.requests.filter { $0.path == path } }
    }

    /// Number of requests received, faulted ones included; counted even when requests are not recorded.
    public var requestCount: Int {
        withLock { state.requestCount }
    }

    /// Number of requests to the create route, whether they stored anything or not.
    public var createRequestCount: Int {
        withLock { state.createRequestCount }
    }

    /// Number of clean calls that were carried out.
    public var cleanCount: Int {
        withLock { state.cleanCount }
    }

    /// The entries stored since the last clean, in the order created (empty when `retainsEntries` is off).
    public var entries: [StoredEntry] {
        withLock { state.entries }
    }

    /// Number of entries stored since the last clean; counted even when entries are not retained.
    public var storedEntryCount: Int {
        withLock { state.storedEntryCount }
    }

    /// Number of entries ever created, cleans notwithstanding.
    public var totalCreatedCount: Int {
        withLock { state.totalCreatedCount }
    }

    /// The token requests issued, oldest first.
    public var tokenRequests: [TokenRequest] {
        withLock { state.tokenRequests }
    }

    /// Forgets recorded requests and the request, create and clean counters; keeps entries and configuration.
    public func clearRecords() {
        withLock {
            state.requests.removeAll()
            state.requestCount = 0
            state.createRequestCount = 0
            state.cleanCount = 0
        }
    }

    /// Waits until at least `count` requests have arrived; false when `timeout` seconds passed first.
    public func waitForRequests(count: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return withLock {
            while state.requestCount < count {
                if !condition.wait(until: deadline) { return state.requestCount >= count }
            }
            return true
        }
    }

    // MARK: Standalone use

    /// Starts a stand-in, prints its base URL on standard output, and serves until the process ends.
    ///
    /// For a separate executable that other processes (such as the command-line tool under test) talk to.
    public static func runForever(port: Int = 0, configuration: Configuration = Configuration()) -> Never {
        let hub = StandInHub(configuration)
        do {
            try hub.start(port: port)
        } catch {
            FileHandle.standardError.write(Data("StandInHub could not start: \(error)\n".utf8))
            exit(1)
        }
        FileHandle.standardOutput.write(Data("\(hub.baseURL.absoluteString)\n".utf8))
        while true {
            Thread.sleep(forTimeInterval: 3600)
        }
    }
}
