import Foundation
import StandInHub
import Testing
import TestSupport

@Suite("Delivery under kills, concurrency and a full disk")
struct DeliveryGuaranteeTests {
    /// Starts `worktrail-git` without waiting for it.
    private func launch(_ fixture: GitRepositoryFixture, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: toolPath)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.path)
        var environment = ProcessInfo.processInfo.environment.merging(fixture.environment) { _, new in new }
        environment["XDG_STATE_HOME"] = fixture.directory.child("state")
        environment["WORKTRAIL_APP_KEY"] = appKey
        environment["WORKTRAIL_SECRET_API_KEY"] = secretKey
        environment["WORKTRAIL_AUTH_TOKEN"] = authToken
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func generated(_ commits: Int) throws -> GitRepositoryFixture {
        let fixture = try GitRepositoryFixture()
        try fixture.git(["remote", "add", "origin", "https://github.com/acme/widgets.git"])
        try fixture.importHistory(commits: commits)
        return fixture
    }

    /// Kills the sync with SIGKILL at many moments (scanning, recording, between and during
    /// requests), then lets one run finish: no entry may be lost, and duplicates may come only
    /// from batches that were sent without an answer.
    @Test func sigkillAtAnyMomentLosesNothing() async throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generated(3000)
        let expected = Set(try fixture.logLines().map { "https://github.com/acme/widgets/commit/\($0.prefix(40))" })
        let arguments = ["sync", "--all-authors", "--batch-size", "50", "--hub-url", hub.baseURL.absoluteString]
        // Slow answers stretch the delivery over seconds, so the kills land inside it too.
        hub.enqueueFault(.delay(seconds: 0.04), path: StandInHub.Path.createEntries, times: 10_000)

        // Kill moments from start-up to well into the delivery, in a fixed order, until eight
        // runs were killed while working (runs that finished before their moment count not).
        var kills = 0
        let moments = [5, 150, 400, 700, 40, 250, 900, 100, 20, 550]
        for attempt in 0..<30 where kills < 8 {
            let process = try launch(fixture, arguments)
            try await Task.sleep(for: .milliseconds(moments[attempt % moments.count]))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        let final = try fixture.tool(arguments, credentials: true)
        #expect(final.status == 0, "\(final.standardError)")

        let links = hub.entries.map(\.link)
        let lost = expected.subtracting(links)
        let duplicates = links.count - Set(links).count
        print("sigkill test: \(kills) kills, \(links.count) entries stored, \(lost.count) lost, \(duplicates) duplicated")
        #expect(kills >= 4)
        #expect(lost.isEmpty)
        #expect(Set(links) == expected)
        #expect(duplicates <= kills * 50)

        let again = try fixture.tool(arguments, credentials: true)
        #expect(again.standardOutput == "widgets: 0 delivered\n")
    }

    @Test func eightConcurrentSyncsDeliverEachCommitOnce() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generated(1500)
        let expected = try fixture.logLines().count
        let arguments = ["sync", "--all-authors", "--batch-size", "50", "--hub-url", hub.baseURL.absoluteString]

        let processes = try (0..<8).map { _ in try launch(fixture, arguments) }
        for process in processes { process.waitUntilExit() }

        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        #expect(hub.entries.count == expected)
        #expect(Set(hub.entries.map(\.link)).count == expected)
    }

    /// Needs root to mount a small tmpfs, as CI and the development machines have.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDiskLeavesTheCheckpointAsItWas() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generated(10)
        let disk = fixture.directory.child("small-disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mount = try Shell.run("/bin/mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", disk])
        try #require(mount.status == 0, "mount failed: \(mount.standardError)")
        defer { _ = try? Shell.run("/bin/umount", ["-l", disk]) }
        let arguments = ["sync", "--all-authors", "--state-dir", disk, "--hub-url", hub.baseURL.absoluteString]

        #expect(try fixture.tool(arguments, credentials: true).status == 0)
        #expect(hub.entries.count == 10)

        // Thousands of new commits, and a disk with no room left.
        var generator = HistoryGenerator(commits: 3000, seed: 7, baseTime: 1_800_000_000)
        try fixture.git(["fast-import", "--quiet", "--force"], input: generator.stream())
        _ = try Shell.run("/bin/dd", ["if=/dev/zero", "of=\(disk)/filler", "bs=64k"])

        let full = try fixture.tool(arguments, credentials: true)
        #expect(full.status == 1)
        #expect(full.standardError.contains("is full"), "\(full.standardError)")
        #expect(hub.entries.count == 10)

        try FileManager.default.removeItem(atPath: "\(disk)/filler")
        let status = try fixture.tool(["status", "--json", "--state-dir", disk])
        #expect(status.standardOutput.contains("\"delivered\" : 10"))
        #expect(status.standardOutput.contains("\"pending\" : 0"))

        let after = try fixture.tool(arguments, credentials: true)
        #expect(after.status == 0, "\(after.standardError) \(String(describing: try? FileManager.default.contentsOfDirectory(atPath: disk)))")
        // The new history replaced main; the first ten commits stay delivered as they were.
        let current = Set(try fixture.logLines().map { "https://github.com/acme/widgets/commit/\($0.prefix(40))" })
        #expect(Set(hub.entries.map(\.link)).isSuperset(of: current))
        #expect(hub.entries.count == current.count + 10)
    }

    /// Ctrl-C while delivering: the batch in flight is answered and recorded, no other batch
    /// starts, and the rest goes out on the next run, each entry once.
    @Test func interruptFinishesTheBatchInFlightAndLeavesTheRest() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try generated(100)
        let expected = try fixture.logLines().count
        hub.enqueueFault(.delay(seconds: 1), path: StandInHub.Path.createEntries, times: 100)
        let arguments = ["sync", "--all-authors", "--batch-size", "10", "--hub-url", hub.baseURL.absoluteString]
        var environment = fixture.environment
        environment["XDG_STATE_HOME"] = fixture.directory.child("state")
        environment["WORKTRAIL_APP_KEY"] = appKey
        environment["WORKTRAIL_SECRET_API_KEY"] = secretKey
        environment["WORKTRAIL_AUTH_TOKEN"] = authToken
        let run = try RunningTool(arguments, in: fixture.path, environment: environment)
        #expect(eventually { hub.createRequestCount >= 1 }, "\(run.output)")

        run.send(SIGINT)
        #expect(run.waitForExit(within: 60) == 130, "\(run.output)")
        #expect(run.output.contains("stopped; what was not delivered waits in the outbox for the next sync"))
        let stored = hub.entries.count
        #expect(stored >= 10 && stored < expected)

        hub.clearFaults()
        let next = try fixture.tool(arguments, credentials: true)
        #expect(next.status == 0, "\(next.allOutput)")
        #expect(hub.entries.count == expected)
        #expect(Set(hub.entries.map(\.link)).count == expected)
    }
}
