import Foundation
import Testing
@testable import StandInHub

@Suite("Employees, company and the token flow")
struct AccountTests {
    @Test("employees are listed in pages, the page taken from the query")
    func employeePages() async throws {
        let hub = try startedHub(.init(
            credentials: testCredentials, employees: StandInHub.Employee.samples(count: 7), employeesPageSize: 3
        ))
        defer { hub.stop() }

        let first = try await post(hub, StandInHub.Path.employees)
        let second = try await post(hub, StandInHub.Path.employees + "?page=2")
        let third = try await post(hub, StandInHub.Path.employees + "?page=3")
        let beyond = try await post(hub, StandInHub.Path.employees + "?page=4")

        #expect(first.json?["page"] == 1)
        #expect(first.json?["num_pages"] == 3)
        #expect(first.json?["list"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [1, 2, 3])
        #expect(second.json?["page"] == 2)
        #expect(second.json?["list"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [4, 5, 6])
        #expect(third.json?["list"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [7])
        #expect(third.json?["num_pages"] == 3)
        #expect(beyond.status == 404)
        #expect(beyond.json?["error"] != nil)
        let employee = try #require(first.json?["list"]?[0])
        #expect(employee["username"] == "user1@example.com")
        #expect(employee["first_name"] == "User")
        #expect(employee["last_name"] == "Number1")
        #expect(employee["name"] == "User Number1")
        #expect(hub.requests(to: StandInHub.Path.employees).map(\.query["page"]) == [nil, "2", "3", "4"])
    }

    @Test("an empty employee list is one empty page; after= lists only later changes")
    func emptyAndIncremental() async throws {
        var employees = StandInHub.Employee.samples(count: 3)
        employees[2].modifyDate = 1_800_000_000
        let hub = try startedHub(.init(credentials: testCredentials, employees: employees))
        defer { hub.stop() }

        let later = try await post(hub, StandInHub.Path.employees + "?after=1750000000")
        hub.update { $0.employees = [] }
        let empty = try await post(hub, StandInHub.Path.employees)

        #expect(later.json?["list"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [3])
        #expect(empty.json == ["list": [], "num_pages": 1, "page": 1])
    }

    @Test("the company route answers the configured company")
    func company() async throws {
        let acme: StandInHub.JSONValue = ["id": 5, "name": "Acme", "slug": "acme"]
        let hub = try startedHub(.init(credentials: testCredentials, company: acme))
        defer { hub.stop() }

        let reply = try await post(hub, StandInHub.Path.company)

        #expect(reply.json == ["id": 5, "name": "Acme", "slug": "acme"])
    }

    @Test("token flow: request, pending polls, then active, after which the issued token is accepted")
    func tokenFlowActive() async throws {
        let appOnly = StandInHub.Credentials(appKey: "app-1", secretAPIKey: "secret-1")
        let hub = try startedHub(.init(credentials: appOnly, tokenScript: .activeAfter(pendingPolls: 2)))
        defer { hub.stop() }
        let appHeaders = ["X-APPKEY": "app-1", "X-SECRETAPIKEY": "secret-1"]

        let requested = try await post(
            hub, StandInHub.Path.tokenRequest, fields: [("accesstype", "company"),
                                                      ("scopes", "read-employees,sync-hub-data")],
            headers: appHeaders
        )
        let token = try #require(requested.json?["authtoken"]?.stringValue)
        let key = try #require(requested.json?["requestkey"]?.stringValue)
        #expect(requested.json?["redirecturl"]?.stringValue?.hasPrefix(hub.baseURL.absoluteString) == true)

        var tokenHeaders = appHeaders
        tokenHeaders["X-AUTHTOKEN"] = token
        let tooEarly = try await post(hub, StandInHub.Path.company, headers: tokenHeaders)
        #expect(tooEarly.json?["errortype"] == "auth")

        var statuses: [String] = []
        for _ in 0..<3 {
            let poll = try await post(hub, StandInHub.Path.tokenConfirm, fields: [("requestkey", key)],
                                      headers: appHeaders)
            statuses.append(poll.json?["status"]?.stringValue ?? "?")
        }
        #expect(statuses == ["pending", "pending", "active"])

        let company = try await post(hub, StandInHub.Path.company, headers: tokenHeaders)
        #expect(company.status == 200)
        #expect(company.json?["slug"] == "stand-in-company")
        let issued = try #require(hub.tokenRequests.first)
        #expect(issued.scopes == ["read-employees", "sync-hub-data"])
        #expect(issued.accessType == "company")
        #expect(issued.confirmPolls == 3)
        #expect(issued.lastStatus == "active")
    }

    @Test("token confirm follows the rejected and always-pending scripts")
    func tokenScripts() async throws {
        let hub = try startedHub(.init(credentials: testCredentials, tokenScript: .rejectedAfter(pendingPolls: 1)))
        defer { hub.stop() }
        let fields = [("accesstype", "company"), ("scopes", "sync-hub-data")]

        func polls(_ count: Int) async throws -> [String] {
            let requested = try await post(hub, StandInHub.Path.tokenRequest, fields: fields)
            let key = requested.json?["requestkey"]?.stringValue ?? ""
            var statuses: [String] = []
            for _ in 0..<count {
                let poll = try await post(hub, StandInHub.Path.tokenConfirm, fields: [("requestkey", key)])
                statuses.append(poll.json?["status"]?.stringValue ?? "?")
            }
            return statuses
        }

        #expect(try await polls(3) == ["pending", "rejected", "rejected"])
        hub.update { $0.tokenScript = .alwaysPending }
        #expect(try await polls(3) == ["pending", "pending", "pending"])
        hub.update { $0.tokenScript = .sequence(["waiting", "active"]) }
        #expect(try await polls(3) == ["waiting", "active", "active"])
    }

    @Test("token routes refuse a wrong secret, bad fields and an unknown request key")
    func tokenErrors() async throws {
        let hub = try startedHub()
        defer { hub.stop() }

        let wrongSecret = try await post(
            hub, StandInHub.Path.tokenRequest, fields: [("accesstype", "company"), ("scopes", "sync-hub-data")],
            headers: ["X-APPKEY": "app-1", "X-SECRETAPIKEY": "nope"]
        )
        let noScopes = try await post(hub, StandInHub.Path.tokenRequest, fields: [("accesstype", "company")])
        let badScope = try await post(
            hub, StandInHub.Path.tokenRequest, fields: [("accesstype", "company"), ("scopes", "root")]
        )
        let unknownKey = try await post(hub, StandInHub.Path.tokenConfirm, fields: [("requestkey", "nope")])

        #expect(wrongSecret.status == 403)
        #expect(wrongSecret.json?["errortype"] == "auth")
        #expect(noScopes.json?["errorobj"]?["scopes"] != nil)
        #expect(badScope.json?["errorobj"]?["scopes"] != nil)
        #expect(unknownKey.json?["errorobj"]?["requestkey"] != nil)
        #expect(hub.tokenRequests.isEmpty)
    }
}
