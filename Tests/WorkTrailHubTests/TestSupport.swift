import Foundation
import StandInHub
import WorkTrailHub

/// Credentials the stand-in expects; distinctive, so that printed text can be searched for them.
let credentials = HubCredentials(appKey: "hub-APPKEY-5d2c", secretAPIKey: "hub-SECRET-e04a77", authToken: "hub-TOKEN-19fb3c")

/// Retries that keep fault tests quick: the same shape as the default, with tiny waits.
let quickRetry = RetryPolicy(maximumAttempts: 4, baseDelay: 0.01, maximumDelay: 0.05, maximumTotalTime: 30)

/// A started stand-in Hub expecting `credentials`; the caller stops it.
func startedHub(_ change: (inout StandInHub.Configuration) -> Void = { _ in }) throws -> StandInHub {
    var configuration = StandInHub.Configuration(
        credentials: StandInHub.Credentials(
            appKey: credentials.appKey,
            secretAPIKey: credentials.secretAPIKey,
            authToken: credentials.authToken
        )
    )
    change(&configuration)
    let hub = StandInHub(configuration)
    try hub.start()
    return hub
}

/// A client for `hub` with quick retries and a 1-second timeout (Linux counts whole seconds).
func client(
    for hub: StandInHub,
    retry: RetryPolicy = quickRetry,
    timeout: TimeInterval = 1,
    batchSize: Int = HubConfiguration.defaultBatchSize,
    credentials: HubCredentials? = credentials,
    logger: HubLogger = .disabled
) -> HubClient {
    let configuration = HubConfiguration(
        baseURL: hub.baseURL,
        credentials: credentials,
        requestTimeout: timeout,
        retry: retry,
        batchSize: batchSize
    )
    return HubClient(configuration: configuration, logger: logger)
}

/// `count` valid entries with summaries `entry 0`, `entry 1`, ...
func sampleEntries(_ count: Int, sourceType: SourceType = .scm) -> [HubEntry] {
    (0..<count).map { index in
        HubEntry(
            time: 1_700_000_000 + Int64(index),
            sourceType: sourceType,
            summary: "entry \(index)",
            link: "https://git.example.com/acme/widgets/commit/\(index)",
            privacy: .private
        )
    }
}

/// Collects what a client logs, for assertions and for searching for secrets.
final class LogRecorder: Sendable {
    // The lines are only touched under the lock.
    private let lines = Mutex<[String]>([])

    var logger: HubLogger {
        HubLogger { [self] level, message, metadata in
            let rendered = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.withLock { $0.append("\(level): \(message) \(rendered)") }
        }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// Whether `text` shows any of the test secrets.
func leaksSecret(_ text: String) -> Bool {
    [credentials.appKey, credentials.secretAPIKey, credentials.authToken ?? ""].contains { text.contains($0) }
}

/// A small lock-protected value, since `Synchronization.Mutex` needs a newer macOS than the package's floor.
final class Mutex<Value>: @unchecked Sendable {
    // @unchecked: `value` is only read or written while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
