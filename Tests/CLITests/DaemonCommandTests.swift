import Foundation
import StandInHub
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("worktrail-git daemon")
struct DaemonCommandTests {
    /// The environment of a daemon talking to `hub`, with its configuration file in `fixture`'s HOME.
    private func daemonEnvironment(_ fixture: GitRepositoryFixture, hub: StandInHub) -> [String: String] {
        fixture.environment.merging(fixture.hookEnvironment(hub)) { _, new in new }
    }

    /// Three repositories (two from the configuration file, one from the command line); one is
    /// deleted while the daemon runs and is skipped while the others go on; SIGTERM during a
    /// delivery lets that batch finish and the daemon exits 0 promptly, its checkpoints settled.
    @Test func threeRepositoriesOneDeletedStoppedMidPass() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let repositories = try (0..<3).map { try GitRepositoryFixture.small(commits: 2, start: 1_700_000_000 + Int64($0) * 10_000) }
        let home = repositories[0]
        let configuration = home.home + "/.config/worktrail-git/daemon.conf"
        try FileManager.default.createDirectory(
            atPath: (configuration as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try "# test\nrepo = \(repositories[0].path)\nrepo = \(repositories[1].path)\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)

        let daemon = try RunningTool(
            ["daemon", "--interval", "0.2", "--repo", repositories[2].path],
            in: home.path,
            environment: daemonEnvironment(home, hub: hub)
        )
        #expect(eventually { hub.entries.count == 6 }, "\(daemon.output)")
        #expect(eventually { daemon.output.contains("pass 1: 3 repositories, 6 queued, 6 delivered, 0 waiting in ") })

        try FileManager.default.removeItem(atPath: repositories[1].path)
        let kept = [
            try repositories[0].commit("first, after the deletion", time: 1_700_001_000),
            try repositories[2].commit("third, after the deletion", time: 1_700_001_000),
        ]
        #expect(eventually { Set(kept).isSubset(of: Set(hub.deliveredCommits)) }, "\(daemon.output)")
        #expect(eventually { daemon.output.contains("\(repositories[1].path): skipped: no such file or directory") })
        #expect(daemon.process.isRunning)

        // The next delivery is slow; the stop arrives while it is in flight.
        hub.enqueueFault(.delay(seconds: 1.5), path: StandInHub.Path.createEntries)
        // Work queued behind the batch in flight, which the stop must not wait for.
        let requestsBefore = hub.createRequestCount
        let last = try repositories[2].commit("in flight at the stop", time: 1_700_002_000)
        #expect(eventually { hub.createRequestCount > requestsBefore })
        let stopped = Date()
        daemon.send(SIGTERM)
        #expect(daemon.waitForExit(within: 30) == 0, "\(daemon.output)")
        #expect(Date().timeIntervalSince(stopped) < 30)
        #expect(hub.deliveredCommits.contains(last))
        #expect(hub.entries.count == 9)
        #expect(daemon.output.contains("; stopping\n"))
        // The deleted repository was logged once, not on every pass.
        #expect(daemon.output.components(separatedBy: "skipped: no such file").count == 2)

        let counts = try repositories[2].statusCounts()
        #expect(counts["delivered"] == 4)
        #expect(counts["pending"] == 0)
        #expect(counts["unknownOutcome"] == 0)
    }

    /// A repository found under a root from the configuration file; SIGHUP picks up a changed
    /// file without a restart; nothing is logged for passes without work.
    @Test func rootsAreSearchedAndSighupRereadsTheConfiguration() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let first = try GitRepositoryFixture.small(commits: 1)
        let second = try GitRepositoryFixture.small(commits: 2, start: 1_700_050_000)
        let configuration = first.directory.child("daemon.conf")
        try "root = \(first.directory.path)\ndepth = 1\n".write(
            toFile: configuration,
            atomically: true,
            encoding: .utf8
        )

        let daemon = try RunningTool(
            ["daemon", "--interval", "0.2", "--config", configuration],
            in: first.directory.path,
            environment: daemonEnvironment(first, hub: hub)
        )
        #expect(eventually { hub.entries.count == 1 }, "\(daemon.output)")
        #expect(eventually { daemon.output.contains("pass 1: 1 repositories") })

        try "root = \(first.directory.path)\nrepo = \(second.path)\n".write(
            toFile: configuration,
            atomically: true,
            encoding: .utf8
        )
        daemon.send(SIGHUP)
        #expect(eventually { hub.entries.count == 3 }, "\(daemon.output)")
        #expect(daemon.output.contains("configuration read again from \(configuration)"))
        #expect(eventually { daemon.output.contains(": 2 repositories, 2 queued, 2 delivered, 0 waiting in ") })

        // Passes with nothing to do say nothing.
        let lines = daemon.output.split(separator: "\n").count
        Thread.sleep(forTimeInterval: 0.6)  // a few idle passes at 0.2 s
        #expect(daemon.output.split(separator: "\n").count == lines)

        daemon.send(SIGINT)
        #expect(daemon.waitForExit(within: 10) == 0)
    }

    @Test func withoutRepositoriesItSaysWhereToListThem() throws {
        let fixture = try GitRepositoryFixture()
        let result = try fixture.tool(["daemon", "--once"])
        #expect(result.status == 64)
        let configuration = "\(fixture.home)/.config/worktrail-git/daemon.conf"
        #expect(
            result.standardError.hasPrefix(
                "worktrail-git: the daemon has no repositories: give --repo PATH, or list them in \(configuration)\n"
            )
        )
    }

    @Test func aMistakeInTheConfigurationFileNamesTheLine() throws {
        let fixture = try GitRepositoryFixture()
        let configuration = fixture.directory.child("daemon.conf")
        try "repo = a\nrepos = b\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        let result = try fixture.tool(["daemon", "--once", "--config", configuration])
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "worktrail-git: \(configuration):2: unknown setting 'repos' (known: repo, root, depth, interval)\n"
        )
    }

    /// A stop does not wait for a Hub that does not answer: the request in flight is abandoned
    /// (its batch counts as sent without an answer, and goes out again on the next run) and no
    /// retry is waited for.
    @Test func stopDoesNotWaitForAHubThatHangs() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let repository = try GitRepositoryFixture.small(commits: 3)
        hub.enqueueFault(.delay(seconds: 120), path: StandInHub.Path.createEntries, times: 10)
        let daemon = try RunningTool(
            ["daemon", "--interval", "60", "--repo", repository.path],
            in: repository.path,
            environment: daemonEnvironment(repository, hub: hub)
        )
        #expect(eventually { hub.createRequestCount == 1 }, "\(daemon.output)")

        let stopped = Date()
        daemon.send(SIGTERM)
        #expect(daemon.waitForExit(within: 60) == 0, "\(daemon.output)")
        // Far below the two minutes the Hub would take, and the retries after it.
        #expect(Date().timeIntervalSince(stopped) < 60)

        hub.clearFaults()
        let next = try repository.tool(["sync", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(next.standardOutput.contains("widgets: 3 delivered"), "\(next.allOutput)")
        #expect(next.standardError.contains("3 entries sent without an answer: sending again"))
    }
}
