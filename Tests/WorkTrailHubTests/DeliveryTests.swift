import Foundation
import StandInHub
import Testing
import WorkTrailHub

@Suite("HubClient.deliver")
struct DeliveryTests {
    @Test func deliversInBatchesOverOneConnection() async throws {
        let hub = try startedHub()
        defer { hub.stop() }

        let report = await client(for: hub, batchSize: 40).deliver(sampleEntries(100))

        #expect(report.isComplete)
        #expect(report.outcomes.compactMap(\.id) == Array(1001...1100))
        #expect(report.requests == 3)
        #expect(hub.requests.map { $0.createdBatch?.count } == [40, 40, 20])
        #expect(hub.connectionCount == 1)
    }

    /// One entry the Hub refuses (`invalid-model`) is isolated by splitting its batch, and
    /// every other entry is delivered.
    @Test func invalidEntryIsIsolatedAndTheOthersAreDelivered() async throws {
        let hub = try startedHub { $0.poisonedSummaries = ["entry 5"] }
        defer { hub.stop() }

        let report = await client(for: hub, batchSize: 8).deliver(sampleEntries(12))

        #expect(report.deliveredCount == 11)
        guard case .refused(let error) = report.outcomes[5] else {
            Issue.record("entry 5: \(report.outcomes[5])")
            return
        }
        #expect(error.isInvalidModel)
        // The Hub numbers the entry within the request that carried it alone.
        #expect(error.description == #"the Hub refused the request: entry 0 is invalid: summary refused by the server (invalid-model) {"summary": "refused by the server"}"#)
        #expect(hub.entries.map(\.summary) == (0..<12).filter { $0 != 5 }.map { "entry \($0)" })
        // [0-7 bad] → [0-3 ok] [4-7 bad] → [4,5 bad] → [4 ok] [5 bad]; [6,7 ok]; then [8-11 ok].
        #expect(report.requests == 8)
    }

    @Test func entriesFailingTheClientsCheckAreNotSent() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        var entries = sampleEntries(3)
        entries[1].endTime = entries[1].time - 60

        let report = await client(for: hub).deliver(entries)

        #expect(report.outcomes[1] == .refused(.invalidEntry(
            index: 1, problem: .endBeforeStart(time: entries[1].time, endTime: entries[1].time - 60))))
        #expect(report.deliveredCount == 2)
        #expect(hub.requests.first?.createdBatch?.count == 2)
    }

    @Test func shortCreatedLeavesTheRestUndelivered() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.shortCreated(count: 3), path: StandInHub.Path.createEntries)

        let report = await client(for: hub).deliver(sampleEntries(5))

        #expect(report.outcomes.map(\.id) == [1001, 1002, 1003, nil, nil])
        #expect(report.outcomes[4] == .notDelivered(.incompleteCreated(sent: 5, identified: 3)))
        #expect(report.outcomes[4] != .delivered(id: 0))
        #expect(HubError.incompleteCreated(sent: 5, identified: 3).description == "the Hub returned ids for 3 of 5 entries")
    }

    @Test func failureStopsTheDeliveryAndLaterBatchesAreNotSent() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.status(503, body: "down"), path: StandInHub.Path.createEntries, times: 4)

        let report = await client(for: hub, batchSize: 2).deliver(sampleEntries(6))

        #expect(report.deliveredCount == 0)
        let failure = HubError.gaveUp(attempts: 4, last: .httpStatus(503, body: "down"), outcomeUnknown: false)
        #expect(report.outcomes == Array(repeating: .notDelivered(failure), count: 6))
        #expect(hub.createRequestCount == 4)
    }

    @Test func atMostOnceDeliveryMarksATimedOutBatchUnknown() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.delay(seconds: 3), path: StandInHub.Path.createEntries)

        let report = await client(for: hub, batchSize: 2)
            .deliver(sampleEntries(4), retryWhenOutcomeUnknown: false)

        #expect(report.outcomes[0] == .outcomeUnknown(.timedOut(seconds: 1)))
        #expect(report.outcomes[1] == .outcomeUnknown(.timedOut(seconds: 1)))
        #expect(report.outcomes[2] == .notDelivered(.timedOut(seconds: 1)))
        #expect(hub.createRequestCount == 1)
    }

    @Test func everySourceTypeIsAccepted() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let entries = SourceType.allCases.flatMap { sampleEntries(1, sourceType: $0) }

        let report = await client(for: hub).deliver(entries)

        #expect(report.isComplete)
        #expect(hub.entries.map(\.srctype) == SourceType.allCases.map(\.rawValue))
    }
}

@Suite("HubClient: company, employees, token flow")
struct AccountTests {
    @Test func employeesAreReadFromEveryPage() async throws {
        let hub = try startedHub {
            $0.employees = StandInHub.Employee.samples(count: 7)
            $0.employeesPageSize = 3
        }
        defer { hub.stop() }

        let employees = try await client(for: hub).employees()

        #expect(employees.map(\.id) == Array(1...7))
        #expect(employees.last?.username == "user7@example.com")
        #expect(employees.first?.name == "User Number1")
        #expect(hub.requests(to: StandInHub.Path.employees).map(\.rawQuery) == ["", "page=2", "page=3"])
        #expect(hub.connectionCount == 1)
    }

    @Test func companyIsTheTokensCompany() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let company = try await client(for: hub).company()
        #expect(company == Company(id: 1, name: "Stand-in Company", slug: "stand-in-company"))
    }

    @Test func cleanEmptiesTheAppsEntries() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = client(for: hub)
        _ = try await client.create(sampleEntries(3))
        try await client.clean()
        #expect(hub.entries.isEmpty)
        #expect(hub.cleanCount == 1)
    }

    @Test func tokenFlowNeedsOnlyTheAppKeyAndSecret() async throws {
        let hub = try startedHub { $0.tokenScript = .activeAfter(pendingPolls: 2) }
        defer { hub.stop() }
        let appOnly = HubCredentials(appKey: credentials.appKey, secretAPIKey: credentials.secretAPIKey, authToken: nil)
        let appClient = client(for: hub, credentials: appOnly)

        let request = try await appClient.requestToken(scopes: [.syncHubData, .readEmployees])
        #expect(!request.description.contains(request.authToken))
        #expect(hub.tokenRequests.first?.scopes == ["sync-hub-data", "read-employees"])
        #expect(try await appClient.confirmToken(requestKey: request.requestKey) == .pending("pending"))
        #expect(try await appClient.confirmToken(requestKey: request.requestKey) == .pending("pending"))
        #expect(try await appClient.confirmToken(requestKey: request.requestKey) == .active)

        let withToken = HubCredentials(
            appKey: credentials.appKey, secretAPIKey: credentials.secretAPIKey, authToken: request.authToken
        )
        #expect(try await client(for: hub, credentials: withToken).company().id == 1)
    }

    @Test func rejectedTokenRequestSaysSo() async throws {
        let hub = try startedHub { $0.tokenScript = .rejectedAfter(pendingPolls: 0) }
        defer { hub.stop() }
        let client = client(for: hub)
        let request = try await client.requestToken(scopes: [.syncHubData])
        #expect(try await client.confirmToken(requestKey: request.requestKey) == .rejected)
    }
}
