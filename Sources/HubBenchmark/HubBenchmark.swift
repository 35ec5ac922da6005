import Foundation
import StandInHub
import WorkTrailHub

/// Measures how fast the Hub client delivers entries to a stand-in Hub on loopback, next to how
/// fast the stand-in itself can answer, so that it shows whether the client is the bottleneck.
///
/// The stand-in runs in this process and neither keeps entries nor records requests. Its floor
/// is measured with a minimal client over one kept-alive socket that sends bytes prepared in
/// advance: once with an empty call (`/rest/company/`), once with the very create request the
/// client sends, so the second figure is the most entries per second the stand-in can take.
public enum HubBenchmark {
    public struct Result: Sendable {
        public var entries: Int
        public var batchSize: Int
        public var seconds: Double
        public var requests: Int
        public var connections: Int
        public var floorEmptyRequestsPerSecond: Double
        public var floorCreateRequestsPerSecond: Double

        public var entriesPerSecond: Double { Double(entries) / seconds }
        public var floorEntriesPerSecond: Double { floorCreateRequestsPerSecond * Double(batchSize) }
    }

    /// Runs the benchmark and returns its figures.
    ///
    /// - Parameters:
    ///   - entries: how many entries the client delivers.
    ///   - floorSeconds: how long each floor measurement runs.
    /// - Throws: when the stand-in cannot start or the floor client fails.
    public static func run(entries count: Int = 100_000, floorSeconds: Double = 2) async throws -> Result {
        let hub = StandInHub(
            StandInHub.Configuration(
                credentials: StandInHub.Credentials(
                    appKey: "bench-app",
                    secretAPIKey: "bench-secret",
                    authToken: "bench-token"
                ),
                retainsEntries: false,
                recordsRequests: false
            )
        )
        try hub.start()
        defer { hub.stop() }
        let credentials = HubCredentials(appKey: "bench-app", secretAPIKey: "bench-secret", authToken: "bench-token")
        let batchSize = HubConfiguration.defaultBatchSize
        let entries = sampleEntries(count)

        let emptyRate = try floor(
            hub,
            request: rawRequest(path: StandInHub.Path.company, body: ""),
            seconds: floorSeconds
        )
        let createBody = try createFormBody(Array(entries.prefix(batchSize)))
        let createRate = try floor(
            hub,
            request: rawRequest(path: StandInHub.Path.createEntries, body: createBody),
            seconds: floorSeconds
        )

        hub.clearRecords()
        let connectionsBefore = hub.connectionCount
        let client = HubClient(configuration: HubConfiguration(baseURL: hub.baseURL, credentials: credentials))
        let clock = ContinuousClock()
        let started = clock.now
        let report = await client.deliver(entries)
        let elapsed = started.duration(to: clock.now)
        guard report.isComplete else {
            let failure = report.outcomes.first { $0.id == nil }.map { "\($0)" } ?? "?"
            throw BenchmarkError("only \(report.deliveredCount) of \(count) entries were delivered: \(failure)")
        }
        return Result(
            entries: count,
            batchSize: batchSize,
            seconds: elapsed / .seconds(1),
            requests: hub.requestCount,
            connections: hub.connectionCount - connectionsBefore,
            floorEmptyRequestsPerSecond: emptyRate,
            floorCreateRequestsPerSecond: createRate
        )
    }

    /// The figures as a few aligned lines.
    public static func render(_ result: Result) -> String {
        func rate(_ value: Double) -> String { String(format: "%10.0f", value) }
        let share = String(format: "%9.0f", 100 * result.entriesPerSecond / result.floorEntriesPerSecond)
        let createFloor = rate(result.floorCreateRequestsPerSecond)
        return """
            stand-in floor, empty calls:         \(rate(result.floorEmptyRequestsPerSecond)) requests/s
            stand-in floor, create of \(result.batchSize):      \(createFloor) requests/s \
            = \(rate(result.floorEntriesPerSecond)) entries/s
            HubClient.deliver, default settings: \(rate(result.entriesPerSecond)) entries/s \
            (\(result.entries) entries in \(String(format: "%.2f", result.seconds)) s, \(result.requests) requests, \
            \(result.connections) connection\(result.connections == 1 ? "" : "s"))
            client share of the floor:           \(share) %
            """
    }

    /// Requests per second the stand-in answers to a minimal client sending `request` again and
    /// again over one connection.
    private static func floor(_ hub: StandInHub, request: String, seconds: Double) throws -> Double {
        let client = try StandInHub.RawClient(port: hub.port)
        defer { client.close() }
        let clock = ContinuousClock()
        let started = clock.now
        let limit = Duration.seconds(seconds)
        var answered = 0
        while started.duration(to: clock.now) < limit {
            try client.send(request)
            guard let response = try client.readResponse(), response.status == 200 else {
                throw BenchmarkError("the stand-in did not answer the floor request with 200")
            }
            answered += 1
        }
        return Double(answered) / (started.duration(to: clock.now) / .seconds(1))
    }

    private static func rawRequest(path: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "X-APPKEY: bench-app\r\nX-SECRETAPIKEY: bench-secret\r\nX-AUTHTOKEN: bench-token\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The form body of a create request, encoded the way the stand-in's own helper does.
    private static func createFormBody(_ entries: [HubEntry]) throws -> String {
        struct Body: Encodable { var create: [HubEntry] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(Body(create: entries)), as: UTF8.self)
        return StandInHub.formBody([("data", json)])
    }

    /// Entries shaped like the git integration's: a commit link and a summary of ordinary length.
    private static func sampleEntries(_ count: Int) -> [HubEntry] {
        (0..<count).map { index in
            HubEntry(
                time: 1_700_000_000 + Int64(index),
                sourceType: .scm,
                summary: "widgets: Change number \(index) to the parser and its tests",
                link: "https://github.com/acme/widgets/commit/\(String(format: "%040x", index))",
                privacy: .private
            )
        }
    }
}

/// Why the benchmark could not finish.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
