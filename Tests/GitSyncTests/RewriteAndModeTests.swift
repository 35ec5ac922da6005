import Foundation
import GitSync
import StandInHub
import Testing
import TestSupport
import WorkTrailHub

@Suite("Rewrites, refs and authors")
struct RewriteAndModeTests {
    private func syncAll(_ fixture: GitRepositoryFixture, _ hub: StandInHub) async throws -> SyncReport {
        try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 100)) { _ in }
    }

    private func repository() throws -> GitRepositoryFixture {
        let fixture = try GitRepositoryFixture()
        try fixture.git(["remote", "add", "origin", "https://github.com/acme/widgets.git"])
        return fixture
    }

    // MARK: - Rewrites and repeats

    @Test func amendRebaseAndCherryPickGiveNoSecondEntry() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try repository()
        try fixture.commit("base", time: 1_700_000_000)
        try fixture.git(["checkout", "-q", "-b", "topic"])
        try fixture.commit("topic one", time: 1_700_000_100, file: "t.txt")
        try fixture.commit("topic two", time: 1_700_000_200, file: "t.txt")
        try fixture.git(["checkout", "-q", "main"])
        try fixture.commit("main moves on", time: 1_700_000_300, file: "m.txt")
        #expect(try await syncAll(fixture, hub).delivered == 4)

        // Amend keeps author, author time and subject.
        try fixture.git(["commit", "-q", "--amend", "--no-edit", "--allow-empty"])
        // Rebase rewrites both topic commits onto the new main.
        try fixture.git(["checkout", "-q", "topic"])
        try fixture.git(["rebase", "-q", "main"])
        // Cherry-pick copies a topic commit onto a new branch.
        try fixture.git(["checkout", "-q", "-b", "picked", "main~1"])
        try fixture.git(["cherry-pick", "topic~1"])

        let report = try await syncAll(fixture, hub)
        #expect(report.delivered == 0)
        #expect(hub.entries.count == 4)
        let rewritten = try fixture.sync().status()?.rewritten
        #expect(rewritten == 4)
    }

    @Test func twoCommitsInTheSameSecondAreTwoEntries() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try repository()
        try fixture.commit("first thing", time: 1_700_000_000)
        try fixture.commit("second thing", time: 1_700_000_000)
        #expect(try await syncAll(fixture, hub).delivered == 2)
    }

    @Test func oneCommitOnManyBranchesWorktreesAndDetachedHeadIsOneEntry() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try repository()
        let sha = try fixture.commit("shared", time: 1_700_000_000)
        try fixture.git(["branch", "copy-1"])
        try fixture.git(["branch", "copy-2"])
        try fixture.git(["worktree", "add", "-q", "--detach", fixture.directory.child("wt"), sha])
        try fixture.git(["checkout", "-q", "--detach"])
        let detached = try fixture.commit("only on a detached HEAD", time: 1_700_000_100)

        #expect(try await syncAll(fixture, hub).delivered == 2)
        #expect(Set(hub.entries.map(\.link)).count == 2)
        #expect(hub.entries.contains { $0.link.hasSuffix(detached) })
    }

    @Test func stashNotesAndReplaceRefsAreNeverScanned() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try repository()
        try fixture.commit("real work", time: 1_700_000_000)
        try ("dirty\n").write(toFile: fixture.path + "/file.txt", atomically: true, encoding: .utf8)
        try fixture.git(["stash", "-q"])
        try fixture.git(["notes", "add", "-m", "a note"])
        // Even a glob that would match them does not scan them.
        try fixture.git(["config", "--add", "worktrail.refs", "refs/*"])

        #expect(try await syncAll(fixture, hub).delivered == 1)
        #expect(hub.entries.map(\.summary) == ["widgets: real work"])
    }

    @Test func refsGlobsChooseWhatIsScanned() throws {
        let fixture = try repository()
        try fixture.commit("on main", time: 1_700_000_000)
        try fixture.git(["checkout", "-q", "-b", "release/1"])
        try fixture.commit("on release", time: 1_700_000_100)
        try fixture.git(["checkout", "-q", "main"])
        try fixture.git(["config", "worktrail.refs", "refs/heads/main"])
        let summaries = try fixture.sync().preview().map(\.entry.summary)
        #expect(summaries == ["widgets: on main"])
    }

    @Test func sinceBoundsTheFirstSync() throws {
        let fixture = try repository()
        try fixture.commit("old", time: 1_600_000_000)
        try fixture.commit("new", time: 1_700_000_000)
        try fixture.git(["config", "worktrail.since", "2022-01-01"])
        #expect(try fixture.sync().preview().map(\.entry.summary) == ["widgets: new"])

        try fixture.git(["config", "worktrail.since", "last tuesday"])
        #expect { try fixture.sync() } throws: { String(describing: $0).contains("worktrail.since") }
    }

    // MARK: - Company mode

    @Test func companyModePlacesAuthorsAndDeliversUnknownOnesOnceAnAliasExists() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        hub.update {
            $0.employees = [
                StandInHub.Employee(id: 7, firstName: "Alice", lastName: "Archer", username: "Alice@Example.com"),
                StandInHub.Employee(id: 8, firstName: "Carol", lastName: "Coder", username: "carol@example.com"),
            ]
            $0.employeesPageSize = 1
        }
        let fixture = try repository()
        try fixture.git(["config", "worktrail.mode", "company"])
        try ("Carol Coder <carol@example.com> <carol@old.example>\n").write(
            toFile: fixture.path + "/.mailmap", atomically: true, encoding: .utf8
        )
        try fixture.commit("by alice", author: "Alice Archer <alice@example.com>", time: 1_700_000_000)
        try fixture.commit("by carol, old address", author: "Carol <carol@old.example>", time: 1_700_000_100)
        try fixture.commit("by bob", author: "Bob <bob@example.com>", time: 1_700_000_200)
        try fixture.commit("by bob again", author: "Bob <BOB@example.com>", time: 1_700_000_300)

        let first = try await syncAll(fixture, hub)
        #expect(first.delivered == 2)
        #expect(first.skippedAuthors.map(\.email) == ["bob@example.com"])
        #expect(first.skippedAuthors.first?.count == 2)
        let placed = Dictionary(uniqueKeysWithValues: hub.entries.map { ($0.summary, $0.employeeID) })
        #expect(placed["widgets: by alice"] == 7)
        #expect(placed["widgets: by carol, old address"] == 8)
        #expect(hub.requests(to: StandInHub.Path.employees).count == 2)

        try fixture.git(["config", "worktrail.employee.9.email", "bob@example.com"])
        let second = try await syncAll(fixture, hub)
        #expect(second.delivered == 2)
        #expect(second.skippedAuthors.isEmpty)
        #expect(hub.entries.filter { $0.employeeID == 9 }.count == 2)
        // The employee list came from the cache the second time.
        #expect(hub.requests(to: StandInHub.Path.employees).count == 2)
    }

    // MARK: - Refused entries

    @Test func refusedEntryIsRetriedAfterTheCauseIsFixed() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try repository()
        let sha = try fixture.commit("change", time: 1_700_000_000)
        hub.update { $0.poisonedLinks = ["https://github.com/acme/widgets/commit/\(sha)"] }

        let first = try await syncAll(fixture, hub)
        #expect(first.rejected.map(\.commit) == [sha])
        let status = try #require(try fixture.sync().status())
        #expect(status.rejected == 1)
        #expect(status.rejectedEntries.first?.reason.contains("invalid-model") == true)

        // Without --retry-rejected nothing is sent again.
        #expect(try await syncAll(fixture, hub).delivered == 0)
        try fixture.git(["config", "worktrail.linkTemplate", "https://git.example.com/{repo}/{sha}"])
        let retried = try await fixture.sync().sync(
            client: client(for: hub),
            options: SyncOptions(retryRejected: true)
        ) { _ in }
        #expect(retried.delivered == 1)
        #expect(hub.entries.map(\.link) == ["https://git.example.com/widgets/\(sha)"])
    }
}
