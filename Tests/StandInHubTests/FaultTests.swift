import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import StandInHub

@Suite("Fault injection")
struct FaultTests {
    private let oneEntry = [("data", createData([entryJSON(1)]))]

    @Test("a status fault answers that status and body once, then the route works again")
    func statusFault() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.status(503, body: "<html><body>Service Unavailable</body></html>"))

        let failed = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)
        let fine = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)

        #expect(failed.status == 503)
        #expect(failed.text.contains("<html>"))
        #expect(failed.response.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(fine.json == ["created": [1001]])
        #expect(hub.entries.count == 1)
        #expect(hub.createRequestCount == 2)
        #expect(hub.pendingFaultCount == 0)
    }

    @Test("a rate-limit fault answers 429 with Retry-After")
    func rateLimited() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.rateLimited(retryAfter: 7))

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)

        #expect(reply.status == 429)
        #expect(reply.response.value(forHTTPHeaderField: "Retry-After") == "7")
        #expect(hub.entries.isEmpty)
    }

    @Test("a dropped connection gives no answer at all, and stores nothing")
    func dropConnection() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.dropConnection)
        let client = try StandInHub.RawClient(port: hub.port)

        try client.post(StandInHub.Path.createEntries, fields: oneEntry, headers: credentialHeaders)

        #expect(try client.readResponse() == nil)
        #expect(hub.entries.isEmpty)
        #expect(hub.createRequestCount == 1)

        hub.enqueueFault(.dropConnection)
        await #expect(throws: (any Error).self) {
            _ = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry, session: makeSession())
        }
    }

    @Test("a delay makes the client time out, and the request is still handled afterwards")
    func delay() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        // Whole seconds: URLSession on Linux truncates a timeout to whole seconds, so 0.5 would mean 0.
        let session = makeSession(timeout: 1)
        defer { session.finishTasksAndInvalidate() }
        // A first request opens the connection, so the timed one is sent at once even on a busy machine.
        _ = try await post(hub, StandInHub.Path.company, session: session, timeout: 1)
        hub.enqueueFault(.delay(seconds: 2))

        await #expect(throws: URLError.self) {
            _ = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry, session: session, timeout: 1)
        }
        #expect(hub.createRequestCount == 1)
        // The server goes on after the delay, as a slow real server would: the entry lands though nobody heard.
        // (No bound on how fast the client gave up: a loaded machine may stretch URLSession's timer.)
        let deadline = Date().addingTimeInterval(30)
        while hub.entries.isEmpty, Date() < deadline {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(hub.entries.count == 1)
    }

    @Test("a non-JSON fault answers 200 with an HTML body")
    func nonJSON() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.nonJSON("<html>proxy login</html>"))

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)

        #expect(reply.status == 200)
        #expect(reply.text == "<html>proxy login</html>")
        #expect(reply.json == nil)
        #expect(hub.entries.isEmpty)
    }

    @Test("an error-JSON fault answers an error object with HTTP 200")
    func errorJSON() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.errorJSON(message: "database is locked", errortype: "server-error"))

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)

        #expect(reply.status == 200)
        #expect(reply.json == ["error": "database is locked", "errortype": "server-error"])
        #expect(hub.entries.isEmpty)
    }

    @Test("a short created list stores only the entries it names")
    func shortCreated() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.shortCreated(count: 2))
        let data = createData([entryJSON(1), entryJSON(2), entryJSON(3)])

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)])

        #expect(reply.json == ["created": [1001, 1002]])
        #expect(hub.entries.map(\.summary) == ["Commit number 1", "Commit number 2"])
    }

    @Test("a created list with nulls stores only the entries that got an id")
    func createdWithNulls() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.createdWithNulls(at: [1]))
        let data = createData([entryJSON(1), entryJSON(2), entryJSON(3)])

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)])

        #expect(reply.json == ["created": [1001, nil, 1002]])
        #expect(hub.entries.map(\.summary) == ["Commit number 1", "Commit number 3"])
    }

    @Test("a raw fault writes its text as the whole answer and closes")
    func raw() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.raw("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nupstream gone"))
        let client = try StandInHub.RawClient(port: hub.port)

        try client.post(StandInHub.Path.company, headers: credentialHeaders)
        let response = try #require(try client.readResponse())

        #expect(response.status == 502)
        #expect(response.text == "upstream gone")
        #expect(client.serverClosed())
    }

    @Test("faults are taken first in, first out, and only by requests to their path")
    func queueOrderAndPaths() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.enqueueFault(.status(500, body: "first"), path: StandInHub.Path.createEntries)
        hub.enqueueFault(.status(502, body: "second"), path: StandInHub.Path.createEntries)
        hub.enqueueFault(.rateLimited(retryAfter: 1), path: StandInHub.Path.company, times: 2)

        let company = try await post(hub, StandInHub.Path.company)
        let first = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)
        let cleaned = try await post(hub, StandInHub.Path.cleanEntries)
        let second = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)
        let third = try await post(hub, StandInHub.Path.createEntries, fields: oneEntry)

        #expect(company.status == 429)
        #expect(first.status == 500 && first.text == "first")
        #expect(cleaned.status == 200)
        #expect(second.status == 502 && second.text == "second")
        #expect(third.json == ["created": [1001]])
        #expect(hub.pendingFaultCount == 1)
        hub.clearFaults()
        #expect(hub.pendingFaultCount == 0)
    }
}
