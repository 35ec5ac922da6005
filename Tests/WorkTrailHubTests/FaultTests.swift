import Foundation
import StandInHub
import Testing
import WorkTrailHub

/// How the client copes with a misbehaving Hub: which entries count as delivered, what the
/// error says, and that no secret shows up in errors or logs.
@Suite("HubClient against a faulty Hub")
struct FaultTests {
    private let path = StandInHub.Path.createEntries

    // MARK: - Retried failures

    @Test func serviceUnavailableThenSuccessDeliversEverythingOnce() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.status(503, body: "<html>down for maintenance</html>"), path: path, times: 2)
        let log = LogRecorder()

        let ids = try await client(for: hub, logger: log.logger).create(sampleEntries(3))

        #expect(ids == [1001, 1002, 1003])
        #expect(hub.entries.count == 3)
        #expect(hub.createRequestCount == 3)
        let retries = log.all.filter { $0.contains("retrying hub request") }
        #expect(retries.count == 2)
        #expect(retries.first?.contains("hub.error=the Hub answered HTTP 503: <html>down for maintenance</html>") == true)
        #expect(!log.all.contains(where: leaksSecret))
    }

    @Test func serviceUnavailableEveryTimeGivesUpAfterTheLastAttempt() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.status(503, body: "busy"), path: path, times: 10)

        let error = await #expect(throws: HubError.self) {
            try await client(for: hub).create(sampleEntries(2))
        }
        #expect(error?.description == "the Hub answered HTTP 503: busy (gave up after 4 attempts)")
        #expect(error?.outcomeUnknown == false)
        #expect(hub.createRequestCount == 4)
        #expect(hub.entries.isEmpty)
    }

    /// The request reached the Hub, which closed the connection without answering: the
    /// outcome is unknown, and by default the client sends the request again.
    @Test func droppedConnectionIsRetriedByDefault() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.dropConnection, path: path)

        let ids = try await client(for: hub).create(sampleEntries(2))

        #expect(ids.compactMap { $0 }.count == 2)
        #expect(hub.createRequestCount == 2)
        #expect(hub.entries.map(\.summary) == ["entry 0", "entry 1"])
    }

    @Test func droppedConnectionInAtMostOnceModeIsReportedAsUnknown() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.dropConnection, path: path)

        let error = await #expect(throws: HubError.self) {
            try await client(for: hub).create(sampleEntries(2), retryWhenOutcomeUnknown: false)
        }
        #expect(error?.outcomeUnknown == true)
        #expect(error?.description.hasPrefix("the connection to the Hub broke before it answered") == true)
        #expect(hub.createRequestCount == 1)
        #expect(!leaksSecret(error?.description ?? ""))
    }

    @Test func timeoutInAtMostOnceModeIsReportedAsUnknown() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.delay(seconds: 3), path: path)

        // The Hub would answer after 3 s; the client must not wait for that answer.
        let error = await #expect(throws: HubError.self) {
            try await client(for: hub, timeout: 1).create(sampleEntries(1), retryWhenOutcomeUnknown: false)
        }
        #expect(error == .timedOut(seconds: 1))
        #expect(error?.outcomeUnknown == true)
        #expect(error?.description == "the Hub did not answer within 1 seconds")
        #expect(hub.createRequestCount == 1)
    }

    /// A timed-out request may still be stored by the Hub; resending it (the default) may then
    /// store the entry twice. That is the price of at-least-once delivery.
    @Test func timeoutIsRetriedByDefault() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.delay(seconds: 2), path: path)

        let ids = try await client(for: hub, timeout: 1).create(sampleEntries(1))

        #expect(ids.count == 1 && ids[0] != nil)
        #expect(hub.createRequestCount == 2)
    }

    @Test func rateLimitWaitsForRetryAfter() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.rateLimited(retryAfter: 1), path: path)
        let log = LogRecorder()

        let started = Date()
        let ids = try await client(for: hub, logger: log.logger).create(sampleEntries(2))

        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(ids.compactMap { $0 }.count == 2)
        #expect(log.all.contains { $0.contains("hub.delay=1.00") && $0.contains("HTTP 429") })
    }

    @Test func retryAfterBeyondTheTimeBudgetIsNotWaitedFor() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.rateLimited(retryAfter: 3600), path: path)

        let error = await #expect(throws: HubError.self) { try await client(for: hub).create(sampleEntries(1)) }
        #expect(error?.final == .httpStatus(429, body: "<html><body><h1>429 Too Many Requests</h1></body></html>"))
        #expect(hub.createRequestCount == 1)
    }

    @Test func unreachableHubIsACannotConnectError() async throws {
        let hub = try startedHub()
        // Down, but holding its port, so no other test's server can answer in its place.
        hub.takeDown()
        defer { hub.stop() }

        let error = await #expect(throws: HubError.self) { try await client(for: hub).company() }
        guard case .cannotConnect(let host, _)? = error?.final else {
            Issue.record("expected cannotConnect, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1")
        #expect(error?.outcomeUnknown == false)
    }

    // MARK: - Failures that are not retried

    @Test func errorAnswerWithStatus200IsAnAPIErrorAndNotRetried() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.errorJSON(message: "database is read-only", errortype: "server-error"), path: path)

        let error = await #expect(throws: HubError.self) { try await client(for: hub).create(sampleEntries(2)) }
        #expect(error == .api(message: "database is read-only", type: "server-error", object: nil, status: 200))
        #expect(error?.description == "the Hub refused the request: database is read-only (server-error)")
        #expect(error?.outcomeUnknown == false)
        #expect(hub.createRequestCount == 1)
        #expect(hub.entries.isEmpty)
    }

    @Test func wrongCredentialsAreNeverRetriedAndNotShown() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let wrong = HubCredentials(appKey: credentials.appKey, secretAPIKey: "wrong-SECRET-0000", authToken: "t")

        let error = await #expect(throws: HubError.self) {
            try await client(for: hub, credentials: wrong).create(sampleEntries(1))
        }
        #expect(error?.isAuthorizationFailure == true)
        #expect(error?.description == "the Hub refused the request: invalid app key (auth)")
        #expect(hub.createRequestCount == 1)
        #expect(!(error?.description.contains("wrong-SECRET") ?? true))
    }

    @Test func nonJSONAnswerIsMalformedAndCountsAsUnknown() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.nonJSON("<html><body>Welcome to the hotel Wi-Fi</body></html>"), path: path)

        let error = await #expect(throws: HubError.self) { try await client(for: hub).create(sampleEntries(2)) }
        #expect(
            error?.description == "the Hub's answer was not understood: expected a JSON object for this call, got:"
                + " <html><body>Welcome to the hotel Wi-Fi</body></html>"
        )
        #expect(error?.outcomeUnknown == true)
        #expect(hub.createRequestCount == 1)
    }

    @Test func echoedSecretsAreRedactedFromQuotedAnswers() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let echo = "bad request; you sent X-SECRETAPIKEY: \(credentials.secretAPIKey)"
        hub.enqueueFault(.status(400, body: echo), path: path)

        let error = await #expect(throws: HubError.self) { try await client(for: hub).create(sampleEntries(1)) }
        #expect(error?.description == "the Hub answered HTTP 400: bad request; you sent X-SECRETAPIKEY: <redacted>")
    }

    // MARK: - Partial answers

    @Test func shortCreatedListLeavesTheRestWithoutIds() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.shortCreated(count: 2), path: path)

        let ids = try await client(for: hub).create(sampleEntries(5))

        #expect(ids == [1001, 1002, nil, nil, nil])
        #expect(hub.entries.count == 2)
    }

    @Test func nullsInCreatedLeaveThoseEntriesWithoutIds() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.createdWithNulls(at: [1]), path: path)

        let ids = try await client(for: hub).create(sampleEntries(3))
        #expect(ids == [1001, nil, 1002])
    }

    // MARK: - Connections and secrets on the wire

    @Test func batchesShareOneKeptAliveConnectionAndSecretsTravelInHeaders() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = client(for: hub)

        for _ in 0..<5 {
            _ = try await client.create(sampleEntries(10))
        }

        #expect(hub.entries.count == 50)
        #expect(hub.connectionCount == 1)
        for request in hub.requests {
            #expect(request.credentialSource == .headers)
            #expect(!leaksSecret(request.rawQuery + request.path))
            #expect(!leaksSecret(String(decoding: request.body, as: UTF8.self)))
        }
    }

    @Test func aPerCallTimeoutOverridesTheDefault() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.delay(seconds: 2), path: StandInHub.Path.company)

        // The client's default (1 s) would time out; this call allows 4 s.
        let company = try await client(for: hub, retry: .never, timeout: 1)
            .company(options: RequestOptions(timeout: 4))
        #expect(company.name == "Stand-in Company")
    }
}
