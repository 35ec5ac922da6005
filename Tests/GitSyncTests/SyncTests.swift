import Foundation
import GitSync
import StandInHub
import Testing
import TestSupport
import WorkTrailHub

@Suite("Syncing a repository")
struct SyncTests {
    // MARK: - Entries

    @Test func previewMatchesGitLogOnEveryBranch() throws {
        let fixture = try generatedRepository(commits: 400)
        let oracle = try fixture.logLines()
        let lines = try fixture.sync().preview()

        #expect(lines.count == oracle.count)
        var byCommit: [String: RepositorySync.PreviewLine] = [:]
        for line in lines { byCommit[line.commit] = line }
        for row in oracle {
            // "<sha> <author time> <author email> <subject>"
            let fields = row.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            let line = try #require(byCommit[fields[0]], "no entry for \(fields[0])")
            #expect(line.entry.time == Int64(fields[1]))
            #expect(line.entry.summary == "widgets: \(fields.count > 3 ? fields[3] : "")")
            #expect(line.entry.link == "https://github.com/acme/widgets/commit/\(fields[0])")
            #expect(line.entry.sourceType == .scm)
            #expect(line.entry.privacy == .private)
        }
        #expect(Set(lines.map(\.entry.link)).count == lines.count)
    }

    @Test func personalModeTakesOwnCommitsAfterTheMailmap() throws {
        let fixture = try generatedRepository(commits: 300)
        try fixture.git(["config", "user.email", "CAROL@example.com"])
        let oracle = try fixture.git(["log", "--branches", "--format=%H %aE"])
            .split(separator: "\n")
            .filter { $0.hasSuffix(" carol@example.com") }
            .map { String($0.prefix(40)) }

        let lines = try fixture.sync(allAuthors: false).preview()
        #expect(!oracle.isEmpty)
        #expect(Set(lines.map(\.commit)) == Set(oracle))
    }

    @Test func configurationShapesTheEntries() throws {
        let fixture = try generatedRepository(commits: 300)
        try fixture.git(["config", "worktrail.privacy", "company"])
        try fixture.git(["config", "worktrail.employeeId", "42"])
        try fixture.git(["config", "worktrail.merges", "false"])
        try fixture.git(["config", "worktrail.linkTemplate", "https://git.example.com/{repo}/c/{sha}"])
        let merges = Set(try fixture.git(["rev-list", "--branches", "--merges"]).split(separator: "\n").map(String.init))

        let lines = try fixture.sync().preview()
        #expect(!merges.isEmpty)
        #expect(lines.count == (try fixture.logLines().count) - merges.count)
        #expect(lines.allSatisfy { !merges.contains($0.commit) })
        let first = try #require(lines.first)
        #expect(first.entry.privacy == .company)
        #expect(first.entry.employeeID == 42)
        #expect(first.entry.link == "https://git.example.com/widgets/c/\(first.commit)")
    }

    @Test func previewWritesNothing() throws {
        let fixture = try generatedRepository(commits: 20)
        _ = try fixture.sync().preview()
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/worktrail"))
    }

    // MARK: - Delivery

    @Test func deliversOnceThenNothingThenOneNewCommit() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 250)
        let expected = try fixture.logLines().count

        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 100)) { _ in }
        #expect(report.delivered == expected)
        #expect(report.pending == 0)
        #expect(hub.entries.count == expected)
        #expect(hub.createRequestCount == 3)

        // The request format: form-encoded POST, credentials in headers, entries in `data`.
        let request = try #require(hub.requests(to: StandInHub.Path.createEntries).first)
        #expect(request.method == "POST")
        #expect(request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true)
        #expect(request.header("x-appkey") == testCredentials.appKey)
        #expect(request.header("x-secretapikey") == testCredentials.secretAPIKey)
        #expect(request.header("x-authtoken") == testCredentials.authToken)
        #expect(request.credentialSource == .headers)
        #expect(request.rawQuery.isEmpty)
        #expect(request.createdBatch?.count == 100)
        #expect(Set(request.form.keys) == ["data"])

        let requestsBefore = hub.requestCount
        let again = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 100)) { _ in }
        #expect(again.delivered == 0)
        #expect(again.commitsRead == 0)
        #expect(hub.requestCount == requestsBefore)

        let sha = try fixture.commit("One more change", time: 1_800_000_000)
        let third = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 100)) { _ in }
        #expect(third.delivered == 1)
        #expect(hub.entries.count == expected + 1)
        #expect(hub.entries.last?.link.hasSuffix(sha) == true)
        #expect(hub.entries.last?.time == 1_800_000_000)
    }

    @Test func resyncCleansOnceAndSendsEverythingAgain() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 120)
        let expected = try fixture.logLines().count
        _ = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(hub.entries.count == expected)

        let report = try await fixture.sync().resync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(hub.cleanCount == 1)
        #expect(report.delivered == expected)
        #expect(hub.entries.count == expected)
        let order = hub.requests.map(\.path).filter { $0 != StandInHub.Path.employees }
        #expect(order.suffix(2) == [StandInHub.Path.cleanEntries, StandInHub.Path.createEntries])
    }

    @Test func anotherRepositoryResendsAfterTheHubWasCleaned() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let first = try generatedRepository(commits: 30)
        let second = try generatedRepository(commits: 40, seed: 7)
        // Both repositories share one user state directory, as they would on one machine.
        let state = first.directory.child("state")
        let openFirst = { try RepositorySync(path: first.path, allAuthors: true, environment: ["XDG_STATE_HOME": state]) }
        let openSecond = { try RepositorySync(path: second.path, allAuthors: true, environment: ["XDG_STATE_HOME": state]) }
        _ = try await openFirst().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        _ = try await openSecond().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(hub.entries.count == 70)

        _ = try await openFirst().resync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(hub.entries.count == 30)
        let log = LogLines()
        let report = try await openSecond().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { log.append($0) }
        #expect(report.delivered == 40)
        #expect(hub.entries.count == 70)
        #expect(log.lines.contains { $0.contains("cleaned") })
    }

    @Test func bareRepositorySyncsLikeAnyOther() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 80, bare: true)
        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(report.delivered == (try fixture.logLines().count))
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/worktrail/checkpoint.sqlite"))
    }

    @Test func emptyRepositoryHasNothingToDo() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture()
        #expect(try fixture.sync().preview().isEmpty)
        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        #expect(report.delivered == 0)
        #expect(hub.requestCount == 0)
    }

    @Test func noRemoteAndNoTemplateDeliversNothingAndNamesTheKey() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture()
        try fixture.commit("A change")
        await #expect {
            try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 500)) { _ in }
        } throws: { error in
            String(describing: error).contains("worktrail.linkTemplate")
        }
        #expect(hub.requestCount == 0)
    }

    @Test func invalidEntryIsSetAsideAndTheOthersAreDelivered() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture()
        try fixture.git(["remote", "add", "origin", "https://github.com/acme/widgets.git"])
        for index in 0..<9 {
            try fixture.commit(index == 5 ? "poison" : "change \(index)", time: 1_700_000_000 + Int64(index))
        }
        hub.update { $0.poisonedSummaries = ["widgets: poison"] }

        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 4)) { _ in }
        #expect(report.delivered == 8)
        #expect(report.rejected.count == 1)
        #expect(report.rejected.first?.reason.contains("invalid-model") == true)
        #expect(hub.entries.count == 8)
        #expect(try fixture.sync().status()?.rejected == 1)
    }

    @Test func entriesWaitWhileTheHubIsDownAndGoOutLater() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 50)
        hub.takeDown()
        await #expect(throws: (any Error).self) {
            try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 20)) { _ in }
        }
        #expect(try fixture.sync().status()?.pending == 50)

        try hub.bringUp()
        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 20)) { _ in }
        #expect(report.delivered == 50)
        #expect(hub.entries.count == 50)
    }
}
