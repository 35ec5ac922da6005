import Foundation
import StandInHub
import Testing
import TestSupport

@Suite("Command line details")
struct CommandLineTests {
    @Test func helpOptionOfACommandShowsItsUsage() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let result = try fixture.tool(["sync", "--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasPrefix("usage: worktrail-git sync"))
        let unknown = try fixture.tool(["help", "nope"])
        #expect(unknown.status == 64)
        #expect(unknown.standardError.contains("no help for 'nope'"))
    }

    @Test func incompleteCredentialsAreNoUsageMistake() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let result = try fixture.tool(["sync"], extra: ["WORKTRAIL_APP_KEY": "only-the-key"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("set WORKTRAIL_SECRET_API_KEY and WORKTRAIL_AUTH_TOKEN as well"))
        #expect(!result.standardError.contains("for usage"))
        #expect(!result.allOutput.contains("only-the-key"))
    }

    @Test func portOutOfRangeIsRefusedBeforeAnyRequest() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let result = try fixture.tool(["sync", "--hub-url", "http://127.0.0.1:99999"], credentials: true)
        #expect(result.status == 1)
        #expect(result.standardError.contains("port 99999 is not a port number"))
    }

    @Test func refusedEntryMakesTheRunFail() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 2)
        let sha = try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        hub.update { $0.poisonedLinks = ["https://github.com/acme/widgets/commit/\(sha)"] }
        let result = try fixture.tool(["sync", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(result.status == 1)
        #expect(result.standardOutput == "widgets: 1 delivered, 1 refused by the Hub\n")
        #expect(result.standardError.contains("commit \(sha) refused"))
    }

    @Test func settingThatIsNoBooleanSaysWhatToSet() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        try fixture.git(["config", "worktrail.merges", "maybe"])
        let result = try fixture.tool(["sync", "--dry-run"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("git config worktrail.merges is 'maybe'; set it to true or false"))
    }

    @Test func percentEncodedRepositoryNameReadsPlainInSummaries() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        try fixture.git(["remote", "set-url", "origin", "https://dev.azure.com/acme/My%20Project/_git/My%20Repo"])
        let result = try fixture.tool(["sync", "--dry-run"])
        #expect(result.standardOutput.contains("\"summary\":\"My Repo: change 0\""))
        #expect(result.standardOutput.contains("https://dev.azure.com/acme/My%20Project/_git/My%20Repo/commit/"))
    }

    @Test func deepeningAShallowCloneDeliversTheOlderHistory() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let origin = try GitRepositoryFixture.small(commits: 12)
        let clone = try GitRepositoryFixture()
        try clone.git(["fetch", "-q", "--update-head-ok", "--depth", "3", "file://\(origin.path)", "main:main"])
        try clone.git(["reset", "-q", "--hard", "main"])
        try clone.git(["config", "worktrail.linkTemplate", "https://git.example.com/{sha}"])
        let arguments = ["sync", "--all-authors", "--hub-url", hub.baseURL.absoluteString]

        #expect(try clone.tool(arguments, credentials: true).standardOutput.contains(": 3 delivered"))
        try clone.git(["fetch", "-q", "--update-head-ok", "--unshallow", "file://\(origin.path)", "main:main"])
        #expect(try clone.tool(arguments, credentials: true).standardOutput.contains(": 9 delivered"))
        #expect(Set(hub.entries.map(\.link)).count == 12)
    }

    @Test func companyModePreviewReadsTheEmployeeListOrSaysWhoIsLeftOut() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.update {
            $0.employees = [StandInHub.Employee(id: 5, firstName: "Dee", lastName: "Veloper", username: "dev@example.com")]
        }
        let fixture = try GitRepositoryFixture.small(commits: 2)
        try fixture.git(["config", "worktrail.mode", "company"])
        try fixture.commit("by a stranger", author: "Stranger <stranger@example.com>", time: 1_700_100_000)

        let withCredentials = try fixture.tool(["sync", "--dry-run", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(withCredentials.standardOutput.split(separator: "\n").count == 2)
        #expect(withCredentials.standardOutput.contains("\"employee_id\":5"))
        #expect(withCredentials.standardError.contains("1 commit by stranger@example.com would be skipped: no known employee\n"))
        #expect(hub.entries.isEmpty)

        try fixture.git(["config", "worktrail.employee.9.email", "stranger@example.com"])
        let offline = try fixture.tool(["sync", "--dry-run"], extra: ["XDG_STATE_HOME": fixture.directory.child("other")])
        #expect(offline.standardOutput.split(separator: "\n").count == 1)
        #expect(offline.standardError.contains(
            "2 commits by dev@example.com would be skipped: no known employee (no credentials to read the employee list)"
        ))
    }

    /// Each repository has its own checkpoint; a second clone on the same machine must not
    /// deliver the history the first one delivered already.
    @Test func secondCloneDoesNotDeliverTheHistoryAgain() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let first = try GitRepositoryFixture.small(commits: 4)
        let url = hub.baseURL.absoluteString
        #expect(try first.tool(["sync", "--hub-url", url], credentials: true).standardOutput == "widgets: 4 delivered\n")

        let second = first.directory.child("second-clone")
        try first.git(["clone", "-q", first.path, second])
        try first.git(["remote", "set-url", "origin", "https://github.com/acme/widgets.git"], in: second)
        try first.git(["config", "user.email", "dev@example.com"], in: second)
        let result = try Shell.run(
            toolPath,
            ["sync", "--hub-url", url],
            in: second,
            environment: first.environment.merging([
                "XDG_STATE_HOME": first.directory.child("state"),
                "WORKTRAIL_APP_KEY": appKey, "WORKTRAIL_SECRET_API_KEY": secretKey, "WORKTRAIL_AUTH_TOKEN": authToken,
            ]) { _, new in new }
        )
        #expect(result.standardOutput == "widgets: 0 delivered, 4 delivered before from another clone\n", "\(result.allOutput)")
        #expect(hub.entries.count == 4)
    }

    @Test func linkTemplateOptionServesACheckoutWithoutAWebRemote() throws {
        let fixture = try GitRepositoryFixture()
        let sha = try fixture.commit("local only")
        let plain = try fixture.tool(["sync", "--dry-run"])
        #expect(plain.status == 1)
        #expect(plain.standardError.contains("worktrail.linkTemplate"))

        let result = try fixture.tool(["sync", "--dry-run", "--link-template", "https://git.example.com/{repo}/c/{sha}"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("\"link\":\"https://git.example.com/project/c/\(sha)\""))
    }
}
