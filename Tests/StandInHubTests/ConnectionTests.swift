import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import StandInHub

@Suite("Connections and lifecycle")
struct ConnectionTests {
    @Test("several requests share one keep-alive connection until the client asks to close")
    func keepAlive() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)

        try client.post(StandInHub.Path.company, headers: credentialHeaders)
        let first = try #require(try client.readResponse())
        try client.post(StandInHub.Path.employees, headers: credentialHeaders)
        let second = try #require(try client.readResponse())
        try client.post(StandInHub.Path.company, headers: credentialHeaders, close: true)
        let third = try #require(try client.readResponse())

        #expect(first.headers["connection"] == "keep-alive")
        #expect(first.json?["slug"] == "stand-in-company")
        #expect(second.json?["num_pages"] == 1)
        #expect(third.headers["connection"] == "close")
        #expect(client.serverClosed())
        #expect(hub.connectionCount == 1)
        #expect(Set(hub.requests.map(\.connectionID)) == [1])
    }

    @Test("two pipelined requests in one write are both answered, in order")
    func pipelined() throws {
        let hub = try startedHub(StandInHub.Configuration())
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)
        let request = "POST /rest/company/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"

        try client.send(request + request.replacingOccurrences(of: "company", with: "employees"))

        #expect(try client.readResponse()?.json?["slug"] == "stand-in-company")
        #expect(try client.readResponse()?.json?["page"] == 1)
        #expect(hub.connectionCount == 1)
    }

    @Test("URLSession reuses its connection for sequential requests")
    func urlSessionReuse() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        for _ in 0..<3 {
            let reply = try await post(hub, StandInHub.Path.company, session: session)
            #expect(reply.status == 200)
        }

        #expect(hub.requestCount == 3)
        #expect(hub.connectionCount == 1)
    }

    @Test("headers are matched case-insensitively and recorded lowercased")
    func headerCase() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)

        try client.send(
            "POST /rest/company/?x=1 HTTP/1.1\r\nhOsT: here\r\nx-AppKey: app-1\r\nX-SECRETAPIKEY: secret-1\r\n"
                + "x-authtoken: token-1\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 0\r\n\r\n"
        )
        let response = try #require(try client.readResponse())

        #expect(response.status == 200)
        let request = try #require(hub.requests.first)
        #expect(request.headers["host"] == "here")
        #expect(request.headers["x-multi"] == "a, b")
        #expect(request.query == ["x": "1"])
        #expect(request.rawQuery == "x=1")
    }

    @Test("a chunked body and Expect: 100-continue are understood")
    func chunkedAndContinue() throws {
        let hub = try startedHub(StandInHub.Configuration())
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)
        let body = StandInHub.formBody([("data", createData([entryJSON(1)]))])
        let half = body.utf8.count / 2
        let firstHalf = String(decoding: Array(body.utf8)[..<half], as: UTF8.self)
        let secondHalf = String(decoding: Array(body.utf8)[half...], as: UTF8.self)

        try client.send(
            "POST /rest/hub/entries/create/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n\r\n"
        )
        // RawClient skips the interim answer; reading it here proves it was sent before the body.
        try client.send(
            String(firstHalf.utf8.count, radix: 16) + "\r\n" + firstHalf + "\r\n"
                + String(secondHalf.utf8.count, radix: 16) + ";ext=1\r\n" + secondHalf + "\r\n0\r\n\r\n"
        )
        let response = try #require(try client.readResponse())

        #expect(response.json == ["created": [1001]])
        #expect(hub.entries.count == 1)
    }

    @Test("a malformed request line is answered with 400 and the connection closed")
    func malformed() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)

        try client.send("NONSENSE\r\n\r\n")
        let response = try #require(try client.readResponse())

        #expect(response.status == 400)
        #expect(client.serverClosed())
    }

    @Test("unknown paths get 404 and other methods 405, as JSON errors")
    func unknownRoutes() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)

        try client.post("/rest/hub/entries/create", headers: credentialHeaders)
        let noSlash = try #require(try client.readResponse())
        try client.send("GET /rest/company/ HTTP/1.1\r\nHost: x\r\n\r\n")
        let get = try #require(try client.readResponse())

        #expect(noSlash.status == 404)
        #expect(noSlash.json?["error"] != nil)
        #expect(get.status == 405)
        #expect(get.headers["allow"] == "POST")
    }

    @Test("takeDown refuses connections; bringUp answers again on the same port")
    func downAndUp() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let port = hub.port
        let idle = try StandInHub.RawClient(port: port)

        hub.takeDown()

        #expect(!hub.isUp)
        #expect(idle.serverClosed())
        #expect(throws: SocketError.self) { _ = try StandInHub.RawClient(port: port) }
        await #expect(throws: URLError.self) {
            _ = try await post(hub, StandInHub.Path.company, session: makeSession())
        }

        try hub.bringUp()

        #expect(hub.isUp)
        #expect(hub.port == port)
        let reply = try await post(hub, StandInHub.Path.company, session: makeSession())
        #expect(reply.status == 200)
    }

    /// Whether the port can be bound again is not checked here: with the whole suite running,
    /// another test's socket may take a freed ephemeral port at any moment.
    @Test("stop is prompt with idle and delayed connections open, and closes them")
    func stopFreesPort() throws {
        let hub = try startedHub()
        let port = hub.port
        let idle = try StandInHub.RawClient(port: port)
        let delayed = try StandInHub.RawClient(port: port)
        hub.enqueueFault(.delay(seconds: 30))
        try delayed.post(StandInHub.Path.company, headers: credentialHeaders)
        #expect(hub.waitForRequests(count: 1, timeout: 30))

        let started = Date()
        hub.stop()
        let seconds = Date().timeIntervalSince(started)

        // Far below the delay: stop() abandons the delayed answer instead of waiting for it.
        #expect(seconds < 20)
        #expect(idle.serverClosed())
        #expect(try delayed.readResponse() == nil)
        #expect(!hub.isUp)
    }

    @Test("many small requests over one keep-alive connection are answered quickly")
    func throughput() throws {
        let hub = try startedHub(StandInHub.Configuration(recordsRequests: false))
        defer { hub.stop() }
        let client = try StandInHub.RawClient(port: hub.port)

        let started = Date()
        for _ in 0..<500 {
            try client.post(StandInHub.Path.company)
            _ = try client.readResponse()
        }
        let seconds = Date().timeIntervalSince(started)

        #expect(hub.requestCount == 500)
        #expect(hub.connectionCount == 1)
        print("stand-in: 500 small requests in \(String(format: "%.3f", seconds)) s")
    }
}
