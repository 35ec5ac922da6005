import Foundation
import Testing
@testable import StandInHub

@Suite("Creating and cleaning hub entries")
struct EntriesTests {
    @Test("a form-encoded create of two entries over URLSession stores both and answers their ids")
    func createTwoEntries() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let data = createData([entryJSON(1), entryJSON(2, ["privacy": .null, "endtime": .null])])

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)])

        #expect(reply.status == 200)
        #expect(reply.response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        #expect(reply.json == ["created": [1001, 1002]])
        let entries = hub.entries
        #expect(entries.count == 2)
        #expect(entries.first == StandInHub.StoredEntry(
            id: 1001, employeeID: 7, time: 1_700_000_001, endtime: 1_700_000_061, srctype: "scm",
            summary: "Commit number 1", link: "https://git.example.com/repo/commit/1", privacy: "company"
        ))
        #expect(entries.last?.id == 1002)
        #expect(entries.last?.privacy == nil)
        #expect(entries.last?.endtime == nil)

        let request = try #require(hub.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/rest/hub/entries/create/")
        #expect(request.headers["x-appkey"] == "app-1")
        #expect(request.header("X-SecretApiKey") == "secret-1")
        #expect(request.headers["x-authtoken"] == "token-1")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.credentialSource == .headers)
        #expect(request.form["data"] == data)
        #expect(request.createdBatch?.count == 2)
        #expect(request.data?["create"]?[0]?["summary"]?.stringValue == "Commit number 1")
        #expect(hub.createRequestCount == 1)
        #expect(hub.storedEntryCount == 2)
    }

    @Test("credentials sent as form fields are accepted and recorded as such")
    func credentialsInFormFields() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fields = [
            ("appkey", "app-1"), ("secretapikey", "secret-1"), ("authtoken", "token-1"),
            ("data", createData([entryJSON(1)])),
        ]

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: fields, headers: [:])

        #expect(reply.json == ["created": [1001]])
        #expect(hub.requests.first?.credentialSource == .formFields)
    }

    @Test("wrong or missing credentials get an auth error and store nothing")
    func refusedCredentials() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let data = [("data", createData([entryJSON(1)]))]
        var wrongToken = credentialHeaders
        wrongToken["X-AUTHTOKEN"] = "stolen"
        var wrongSecret = credentialHeaders
        wrongSecret["X-SECRETAPIKEY"] = "guess"

        let missing = try await post(hub, StandInHub.Path.createEntries, fields: data, headers: [:])
        let badToken = try await post(hub, StandInHub.Path.createEntries, fields: data, headers: wrongToken)
        let badSecret = try await post(hub, StandInHub.Path.createEntries, fields: data, headers: wrongSecret)

        for reply in [missing, badToken, badSecret] {
            #expect(reply.status == 403)
            #expect(reply.json?["errortype"] == "auth")
            #expect(reply.json?["error"]?.stringValue?.isEmpty == false)
        }
        #expect(hub.requests.first?.credentialSource == StandInHub.CredentialSource.none)
        #expect(hub.entries.isEmpty)
        #expect(hub.createRequestCount == 3)
    }

    @Test("without expected credentials anything is accepted")
    func noCredentialsConfigured() async throws {
        let hub = try startedHub(StandInHub.Configuration())
        defer { hub.stop() }

        let reply = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1)]))], headers: [:]
        )

        #expect(reply.json == ["created": [1001]])
    }

    @Test(
        "an invalid entry refuses the whole batch with an invalid-model answer naming the field",
        arguments: [
            (["time": .null], "time"),
            (["time": "1700000000"], "time"),
            (["time": 1.5], "time"),
            (["time": true], "time"),
            (["endtime": "later"], "endtime"),
            (["srctype": "email"], "srctype"),
            (["srctype": .null], "srctype"),
            (["summary": ""], "summary"),
            (["summary": "   "], "summary"),
            (["link": .null], "link"),
            (["link": 42], "link"),
            (["privacy": "public"], "privacy"),
            (["employee_id": "7"], "employee_id"),
        ] as [([String: StandInHub.JSONValue], String)]
    )
    func invalidEntry(changes: [String: StandInHub.JSONValue], field: String) async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let data = createData([entryJSON(1), entryJSON(2, changes), entryJSON(3)])

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)])

        #expect(reply.status == 200)
        #expect(reply.json?["errortype"] == "invalid-model")
        #expect(reply.json?["error"]?.stringValue?.contains("entry 1") == true)
        #expect(reply.json?["errorobj"]?[field]?.stringValue != nil)
        #expect(reply.json?["created"] == nil)
        #expect(hub.entries.isEmpty)
        #expect(hub.storedEntryCount == 0)
    }

    @Test("a missing or unparsable data field is an invalid-model answer")
    func badDataField() async throws {
        let hub = try startedHub()
        defer { hub.stop() }

        let missing = try await post(hub, StandInHub.Path.createEntries, fields: [])
        let notJSON = try await post(hub, StandInHub.Path.createEntries, fields: [("data", "{create:")])
        let noList = try await post(hub, StandInHub.Path.createEntries, fields: [("data", "{\"create\": 5}")])

        #expect(missing.json?["errorobj"]?["data"] != nil)
        #expect(notJSON.json?["errorobj"]?["data"] != nil)
        #expect(noList.json?["errorobj"]?["create"] != nil)
        #expect(hub.entries.isEmpty)
    }

    @Test("a poisoned summary or link makes exactly that entry invalid, refusing the batch")
    func poisonedEntries() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.update {
            $0.poisonedSummaries = ["Commit number 2"]
            $0.poisonedLinks = ["https://git.example.com/repo/commit/5"]
        }

        let first = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1), entryJSON(2)]))]
        )
        let second = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(4), entryJSON(5)]))]
        )
        let clean = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1), entryJSON(3)]))]
        )

        #expect(first.json?["errorobj"]?["summary"] != nil)
        #expect(second.json?["errorobj"]?["link"] != nil)
        #expect(clean.json == ["created": [1001, 1002]])
        #expect(hub.entries.map(\.summary) == ["Commit number 1", "Commit number 3"])
    }

    @Test("the status of invalid-model answers and of auth errors is configurable")
    func configurableErrorStatus() async throws {
        let hub = try startedHub(.init(credentials: testCredentials, invalidModelStatus: 400, authErrorStatus: 401))
        defer { hub.stop() }

        let invalid = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1, ["srctype": "x"])]))]
        )
        let unauthorized = try await post(hub, StandInHub.Path.company, headers: [:])

        #expect(invalid.status == 400)
        #expect(invalid.json?["errortype"] == "invalid-model")
        #expect(unauthorized.status == 401)
        #expect(unauthorized.json?["errortype"] == "auth")
    }

    @Test("an employee id must be known when the stand-in is told so")
    func knownEmployeesOnly() async throws {
        let hub = try startedHub(.init(
            credentials: testCredentials, employees: StandInHub.Employee.samples(count: 3),
            requiresKnownEmployees: true
        ))
        defer { hub.stop() }

        let unknown = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1, ["employee_id": 9])]))]
        )
        let known = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1, ["employee_id": 3])]))]
        )

        #expect(unknown.json?["errorobj"]?["employee_id"] != nil)
        #expect(known.json == ["created": [1001]])
    }

    @Test("clean deletes every entry, is counted, and ids go on increasing afterwards")
    func clean() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        _ = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1), entryJSON(2)]))]
        )

        let cleaned = try await post(hub, StandInHub.Path.cleanEntries)
        #expect(cleaned.status == 200)
        #expect(cleaned.json?.objectValue != nil)
        #expect(cleaned.json?["error"] == nil)
        #expect(hub.entries.isEmpty)
        #expect(hub.storedEntryCount == 0)
        #expect(hub.cleanCount == 1)

        let again = try await post(hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(3)]))])
        #expect(again.json == ["created": [1003]])
        #expect(hub.totalCreatedCount == 3)
    }

    @Test("with retainsEntries off entries are counted but not kept")
    func countOnly() async throws {
        let hub = try startedHub(.init(retainsEntries: false, recordsRequests: false))
        defer { hub.stop() }

        let reply = try await post(
            hub, StandInHub.Path.createEntries, fields: [("data", createData([entryJSON(1), entryJSON(2)]))]
        )

        #expect(reply.json == ["created": [1001, 1002]])
        #expect(hub.entries.isEmpty)
        #expect(hub.requests.isEmpty)
        #expect(hub.storedEntryCount == 2)
        #expect(hub.requestCount == 1)
    }

    @Test("a batch of 500 entries over one keep-alive connection is stored in full")
    func largeBatch() throws {
        let hub = try startedHub(.init(retainsEntries: false, recordsRequests: false))
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)
        let data = createData((0..<500).map { entryJSON($0) })

        let started = Date()
        for _ in 0..<4 {
            try client.post(StandInHub.Path.createEntries, fields: [("data", data)])
            let response = try #require(try client.readResponse())
            #expect(response.json?["created"]?.arrayValue?.count == 500)
        }
        let seconds = Date().timeIntervalSince(started)

        #expect(hub.storedEntryCount == 2000)
        #expect(hub.connectionCount == 1)
        print("stand-in: 2000 entries in 4 batches in \(String(format: "%.3f", seconds)) s")
    }

    @Test("a 500-entry batch through URLSession is stored in full")
    func largeBatchThroughURLSession() async throws {
        let hub = try startedHub(.init(credentials: testCredentials, retainsEntries: false))
        defer { hub.stop() }
        let data = createData((0..<500).map { entryJSON($0) })

        let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)])

        #expect(reply.json?["created"]?.arrayValue?.first == 1001)
        #expect(reply.json?["created"]?.arrayValue?.last == 1500)
        #expect(hub.storedEntryCount == 500)
        #expect(hub.requests.first?.form["data"] == data)
    }

    @Test("concurrent clients each get their own ids and every entry is stored once")
    func concurrentCreates() async throws {
        let hub = try startedHub()
        defer { hub.stop() }

        let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<8 {
                group.addTask {
                    let data = createData([entryJSON(client * 10), entryJSON(client * 10 + 1)])
                    let reply = try await post(hub, StandInHub.Path.createEntries, fields: [("data", data)],
                                               session: makeSession())
                    return reply.json?["created"]?.arrayValue?.compactMap(\.intValue) ?? []
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }

        #expect(answers.sorted() == Array(1001...1016))
        #expect(Set(hub.entries.map(\.id)) == Set(1001...1016))
        #expect(hub.connectionCount == 8)
    }
}
