import Foundation
import GitSync
import StandInHub
import Testing
import TestSupport
import WorkTrailHub

@Suite("Checkpoint guarantees")
struct CheckpointGuaranteeTests {
    private func checkpoint(_ fixture: GitRepositoryFixture) -> String {
        fixture.path + "/.git/worktrail/checkpoint.sqlite"
    }

    // MARK: - Corruption

    @Test func unreadableCheckpointIsAnErrorNamingTheFileAndTheWayOut() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 20)
        _ = try await fixture.sync().sync(client: client(for: hub)) { _ in }
        let path = checkpoint(fixture)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")

        await #expect {
            try await fixture.sync().sync(client: client(for: hub)) { _ in }
        } throws: { error in
            let text = String(describing: error)
            return text.contains(path) && text.contains("resync")
        }
        #expect(hub.entries.count == 20)
    }

    @Test func foreignDatabaseIsNotTakenForACheckpoint() throws {
        let fixture = try generatedRepository(commits: 5)
        let path = checkpoint(fixture)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Shell.run("/usr/bin/env", ["python3", "-c", "import sqlite3; sqlite3.connect('\(path)').execute('create table t(x)')"])
        #expect(FileManager.default.fileExists(atPath: path))
        #expect { try fixture.sync().preview() } throws: { error in
            String(describing: error).contains("is not a worktrail-git checkpoint")
        }
    }

    // MARK: - Interrupted work

    @Test func resyncInterruptedBeforeTheCleanIsFinishedByTheNextSync() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 30)
        _ = try await fixture.sync().sync(client: client(for: hub)) { _ in }
        hub.enqueueFault(.status(503, body: "down"), path: StandInHub.Path.cleanEntries)

        await #expect(throws: (any Error).self) {
            try await fixture.sync().resync(client: client(for: hub)) { _ in }
        }
        #expect(hub.entries.count == 30)
        #expect(try fixture.sync().status()?.resyncUnfinished == true)

        // A plain sync does not settle for an incremental run: it cleans and sends everything.
        let report = try await fixture.sync().sync(client: client(for: hub)) { _ in }
        #expect(hub.cleanCount == 1)
        #expect(report.delivered == 30)
        #expect(hub.entries.count == 30)
        #expect(try fixture.sync().status()?.resyncUnfinished == false)
    }

    @Test func resyncInterruptedAfterTheCleanSendsTheRestNextTime() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 60)
        _ = try await fixture.sync().sync(client: client(for: hub)) { _ in }
        hub.enqueueFault(.status(500, body: "oops"), path: StandInHub.Path.createEntries, times: 1)
        await #expect(throws: (any Error).self) {
            try await fixture.sync().resync(client: client(for: hub), options: SyncOptions(batchSize: 20)) { _ in }
        }
        #expect(hub.cleanCount == 1)
        #expect(hub.entries.isEmpty)

        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 20)) { _ in }
        #expect(report.delivered == 60)
        #expect(hub.cleanCount == 1)
        #expect(Set(hub.entries.map(\.link)).count == 60)
    }

    @Test func unansweredBatchIsSentAgainByDefault() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 10)
        hub.enqueueFault(.delay(seconds: 2.5), path: StandInHub.Path.createEntries)

        await #expect(throws: (any Error).self) {
            try await fixture.sync().sync(client: client(for: hub, timeout: 1)) { _ in }
        }
        #expect(try fixture.sync().status()?.unknownOutcome == 10)
        // The stand-in handles the delayed request after the client gave up on it.
        try await waitUntil { hub.entries.count == 10 }

        let log = LogLines()
        let report = try await fixture.sync().sync(client: client(for: hub)) { log.append($0) }
        #expect(report.interrupted == 10)
        #expect(report.delivered == 10)
        #expect(log.lines.contains { $0.contains("sending again") })
        // At-least-once: the unanswered batch was stored too, so the Hub holds it twice.
        #expect(hub.entries.count == 20)
        #expect(Set(hub.entries.map(\.link)).count == 10)
    }

    @Test func atMostOnceSetsAnUnansweredBatchAside() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 10)
        hub.enqueueFault(.delay(seconds: 2.5), path: StandInHub.Path.createEntries)
        let options = SyncOptions(atMostOnce: true)

        await #expect(throws: (any Error).self) {
            try await fixture.sync().sync(client: client(for: hub, timeout: 1), options: options) { _ in }
        }
        try await waitUntil { hub.entries.count == 10 }
        let report = try await fixture.sync().sync(client: client(for: hub), options: options) { _ in }
        #expect(report.delivered == 0)
        #expect(hub.entries.count == 10)
        #expect(try fixture.sync().status()?.unknownOutcome == 10)
    }

    @Test func outboxGoesOutInAuthorTimeOrderAfterAnOutage() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generatedRepository(commits: 80)
        hub.takeDown()
        await #expect(throws: (any Error).self) {
            try await fixture.sync().sync(client: client(for: hub)) { _ in }
        }
        try fixture.commit("during the outage", time: 1_900_000_000)
        await #expect(throws: (any Error).self) {
            try await fixture.sync().sync(client: client(for: hub)) { _ in }
        }
        #expect(try fixture.sync().status()?.pending == 81)

        try hub.bringUp()
        let report = try await fixture.sync().sync(client: client(for: hub), options: SyncOptions(batchSize: 25)) { _ in }
        #expect(report.delivered == 81)
        let times = hub.entries.map(\.time)
        #expect(times == times.sorted())
        #expect(Set(hub.entries.map(\.link)).count == 81)
    }
}

