import Foundation
import StandInHub
import Testing
import TestSupport

@Suite("worktrail-git sync and resync")
struct SyncCommandTests {
    // MARK: - Without credentials

    @Test func withoutCredentialsItShowsExactlyWhatWouldBeSent() throws {
        let fixture = try GitRepositoryFixture.small()
        let result = try fixture.tool(["sync"])

        #expect(result.status == 0)
        #expect(result.standardError.contains("no Hub credentials are set"))
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["commit", "entry"])
            let entry = try #require(object["entry"] as? [String: Any])
            #expect(Set(entry.keys) == ["time", "srctype", "summary", "link", "privacy"])
            #expect(entry["srctype"] as? String == "scm")
            let commit = try #require(object["commit"] as? String)
            #expect(entry["link"] as? String == "https://github.com/acme/widgets/commit/\(commit)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/worktrail"))
    }

    @Test func dryRunWithCredentialsSendsNothing() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small()
        let result = try fixture.tool(["sync", "--dry-run", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(result.status == 0)
        #expect(result.standardOutput.split(separator: "\n").count == 3)
        #expect(!result.standardError.contains("no Hub credentials"))
        #expect(hub.requestCount == 0)
    }

    // MARK: - Delivery

    @Test func syncDeliversOnceAndPrintsNoSecret() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 5)
        let url = hub.baseURL.absoluteString

        let first = try fixture.tool(["sync", "--hub-url", url], credentials: true)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput == "widgets: 5 delivered\n")
        #expect(hub.entries.count == 5)

        let second = try fixture.tool(["sync"], credentials: true, extra: ["WORKTRAIL_HUB_URL": url])
        #expect(second.status == 0)
        #expect(second.standardOutput == "widgets: 0 delivered\n")
        #expect(hub.entries.count == 5)
        #expect(!leaksSecret(first.allOutput + second.allOutput))
    }

    @Test func hubURLFromGitConfig() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 2)
        try fixture.git(["config", "worktrail.hubUrl", hub.baseURL.absoluteString])
        let result = try fixture.tool(["sync"], credentials: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(hub.entries.count == 2)
    }

    @Test func failingRunSaysWhatHappenedAndLeaksNoSecret() throws {
        let hub = try startedHub()
        let url = hub.baseURL.absoluteString
        // Down, but holding its port, so no other test's server can answer in its place.
        hub.takeDown()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small()

        let result = try fixture.tool(["sync", "--hub-url", url], credentials: true)
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot connect to the Hub at 127.0.0.1"))
        #expect(result.standardError.contains("3 entries stay in the outbox"))
        #expect(!leaksSecret(result.allOutput))
    }

    @Test func plainHTTPToAnotherHostIsRefused() throws {
        let fixture = try GitRepositoryFixture.small()
        let result = try fixture.tool(["sync", "--hub-url", "http://hub.example.com"], credentials: true)
        #expect(result.status == 1)
        #expect(result.standardError.contains("refusing plain http to hub.example.com"))
        #expect(result.standardError.contains("--allow-insecure-http"))
    }

    // MARK: - Resync

    @Test func resyncNeedsConfirmationWithoutATerminal() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small()
        let result = try fixture.tool(["resync", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(result.status == 64)
        #expect(result.standardError.contains("pass --yes"))
        #expect(hub.requestCount == 0)
    }

    @Test func resyncCleansOnceThenSendsEverything() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 4)
        let url = hub.baseURL.absoluteString
        _ = try fixture.tool(["sync", "--hub-url", url], credentials: true)

        let preview = try fixture.tool(["resync", "--dry-run", "--hub-url", url], credentials: true)
        #expect(preview.standardOutput.contains("widgets: clean \(url), then create 4 entries"))
        #expect(hub.cleanCount == 0)

        let result = try fixture.tool(["resync", "--yes", "--hub-url", url], credentials: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(hub.cleanCount == 1)
        #expect(hub.entries.count == 4)
        #expect(hub.createRequestCount == 2)
    }

    // MARK: - Bad input

    @Test func notARepositoryIsOneClearLine() throws {
        let fixture = try GitRepositoryFixture.small()
        let outside = try TemporaryDirectory()
        let result = try fixture.tool(["sync", "--repo", outside.path])
        #expect(result.status == 1)
        #expect(result.standardError.hasSuffix("\(outside.path): not inside a git repository; give one with --repo PATH\n"))
    }

    @Test func unknownOptionIsAUsageError() throws {
        let fixture = try GitRepositoryFixture.small()
        let result = try fixture.tool(["sync", "--frobnicate"])
        #expect(result.status == 64)
        #expect(result.standardError == "worktrail-git: unknown option --frobnicate\nworktrail-git: Run 'worktrail-git help' for usage.\n")
    }

    @Test func missingUserEmailSaysHowToFixIt() throws {
        let fixture = try GitRepositoryFixture.small()
        try fixture.git(["config", "--unset", "user.email"])
        let result = try fixture.tool(["sync"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("user.email is not set"))
        #expect(result.standardError.contains("--all-authors"))
    }
}

@Suite("worktrail-git status")
struct StatusCommandTests {
    @Test func statusCountsWhatTheCheckpointHolds() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 4)
        let sha = try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        hub.update { $0.poisonedLinks = ["https://github.com/acme/widgets/commit/\(sha)"] }
        let url = hub.baseURL.absoluteString

        #expect(try fixture.tool(["status"]).standardOutput == "widgets: never synced\n")
        _ = try fixture.tool(["sync", "--hub-url", url], credentials: true)

        let text = try fixture.tool(["status"])
        #expect(text.status == 0)
        #expect(text.standardOutput.contains("  delivered        3\n"))
        #expect(text.standardOutput.contains("  rejected         1  (refused by the Hub; sync --retry-rejected)\n"))
        #expect(text.standardOutput.contains("  refused \(sha): the Hub refused the request"))

        let json = try fixture.tool(["status", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let status = try #require((object["repositories"] as? [[String: Any]])?.first)
        #expect((object["problems"] as? [Any])?.isEmpty == true)
        #expect(status["repository"] as? String == "widgets")
        #expect(status["delivered"] as? Int == 3)
        #expect(status["pending"] as? Int == 0)
        #expect(status["rejected"] as? Int == 1)
        #expect(status["unknownOutcome"] as? Int == 0)
        #expect(status["lastSync"] is String)
    }

    @Test func statusOfAFailedSyncShowsTheLastError() throws {
        let hub = try startedHub()
        let url = hub.baseURL.absoluteString
        // Down, but holding its port, so no other test's server can answer in its place.
        hub.takeDown()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 2)
        _ = try fixture.tool(["sync", "--hub-url", url], credentials: true)
        let text = try fixture.tool(["status"]).standardOutput
        #expect(text.contains("  pending          2  (waiting in the outbox)\n"))
        #expect(text.contains("  last error       cannot connect to the Hub at 127.0.0.1"))
    }

    @Test func statusSaysWhenAnotherRepositoryCleanedTheHub() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let url = hub.baseURL.absoluteString
        let first = try GitRepositoryFixture.small(commits: 2)
        let second = try GitRepositoryFixture.small(commits: 2, start: 1_750_000_000)
        // One user: both repositories share the user's state directory.
        let state = ["XDG_STATE_HOME": first.directory.child("shared-state")]
        _ = try first.tool(["sync", "--hub-url", url], credentials: true, extra: state)
        _ = try second.tool(["sync", "--hub-url", url], credentials: true, extra: state)
        #expect(!(try second.tool(["status", "--hub-url", url], credentials: true, extra: state).standardOutput
            .contains("was cleaned")))

        _ = try first.tool(["resync", "--yes", "--hub-url", url], credentials: true, extra: state)
        let status = try second.tool(["status", "--hub-url", url], credentials: true, extra: state)
        #expect(status.standardOutput.contains("by a resync elsewhere; the next sync sends it all again"))
        let json = try second.tool(["status", "--json", "--hub-url", url], credentials: true, extra: state)
        #expect(json.standardOutput.contains("\"hubCleanedSince\""))
    }
}
