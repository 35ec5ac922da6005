import Foundation
import StandInHub
import Testing
import WorkTrailHub

@Suite("Redirects")
struct RedirectTests {
    /// A redirect is reported, never followed: following it would hand the credential headers
    /// to another address.
    @Test(arguments: [301, 302, 307, 308])
    func redirectIsNotFollowedAndSaysWhereItPointed(status: Int) async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let elsewhere = try startedHub()
        defer { elsewhere.stop() }
        let target = elsewhere.baseURL.absoluteString + "/rest/hub/entries/create/?x=1"
        hub.enqueueFault(
            .raw("HTTP/1.1 \(status) Moved\r\nLocation: \(target)\r\nContent-Length: 0\r\n\r\n"),
            path: StandInHub.Path.createEntries
        )

        await #expect {
            try await client(for: hub).create(sampleEntries(2))
        } throws: { error in
            let text = String(describing: error)
            return text.contains("answered HTTP \(status), a redirect to http://127.0.0.1:\(elsewhere.port)/")
                && text.contains("--hub-url") && !text.contains("x=1")
        }
        #expect(elsewhere.requestCount == 0)
        #expect(hub.createRequestCount == 1)
    }
}
