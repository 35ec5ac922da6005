import Foundation
import GitSync
import WorkTrailHub

/// `worktrail-git status`: what each repository's checkpoint holds.
struct StatusCommand {
    static let usage = """
        usage: worktrail-git status [--repo PATH]... [--state-dir DIR] [--json]

        With --json, prints {"repositories": [...], "problems": [{"path", "error"}]}.

        Shows, per repository, how many commits were delivered, wait in the outbox, were
        skipped for an unknown author, were refused by the Hub, or were sent without an
        answer; when the last sync ran and how it ended.
        """

    let repositories: [String]
    let stateRoot: String?
    let json: Bool
    let hub: HubSetup

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: HubSetup.flags.union(["--json"]),
            options: HubSetup.options.union(["--repo", "--state-dir"])
        )
        guard parsed.operands.isEmpty else {
            throw UsageError("unexpected argument '\(parsed.operands[0])'; give repositories with --repo PATH")
        }
        repositories = parsed.all("--repo").isEmpty ? ["."] : parsed.all("--repo")
        stateRoot = parsed.value("--state-dir")
        json = parsed.has("--json")
        hub = HubSetup(parsed, environment: environment)
    }

    func run(console: Console) throws {
        var failures = 0
        var statuses: [RepositoryStatus] = []
        var problems: [Problem] = []
        for path in repositories {
            do {
                let sync = try RepositorySync(path: path, allAuthors: true, stateRoot: stateRoot)
                // The Hub (and app) the repository syncs with, to tell whether it was cleaned since.
                let hubConfiguration = (try? hub.baseURL(configured: sync.configuredHubURL)).map {
                    HubConfiguration(baseURL: $0, credentials: try? hub.credentials())
                }
                guard let status = try sync.status(hub: hubConfiguration) else {
                    if !json { console.output("\(sync.repositoryName): never synced") }
                    continue
                }
                statuses.append(status)
                if !json { show(status, console: console) }
            } catch {
                console.error("\(path): \(error)")
                problems.append(Problem(path: path, error: String(describing: error)))
                failures += 1
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            // A repository that cannot be read is listed too, under problems, with what is wrong.
            let output = try encoder.encode(Listing(repositories: statuses, problems: problems))
            console.output(String(decoding: output, as: UTF8.self))
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }

    private func show(_ status: RepositoryStatus, console: Console) {
        console.output("\(status.repository) (\(status.path))")
        console.output("  delivered        \(status.delivered)")
        console.output("  pending          \(status.pending)  (waiting in the outbox)")
        console.output("  skipped          \(status.skipped)  (author is no known employee)")
        console.output("  rejected         \(status.rejected)  (refused by the Hub; sync --retry-rejected)")
        console.output("  unknown outcome  \(status.unknownOutcome)  (sent, no answer)")
        console.output("  rewritten        \(status.rewritten)  (same work as a delivered commit)")
        let lastSync = status.lastSync.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
        console.output("  last sync        \(lastSync)")
        if let error = status.lastError { console.output("  last error       \(error)") }
        if status.resyncUnfinished { console.output("  a resync was started and is not finished: run sync or resync") }
        if let cleaned = status.hubCleanedSince {
            let when = ISO8601DateFormatter().string(from: cleaned)
            console.output("  the Hub was cleaned at \(when) by a resync elsewhere; the next sync sends it all again")
        }
        for rejection in status.rejectedEntries {
            console.output("  refused \(rejection.commit): \(rejection.reason)")
        }
        for author in status.skippedAuthors {
            console.output("  \(count(author.commits, "commit", "commits")) by \(author.email) (no known employee)")
        }
    }

    /// A repository whose status could not be read.
    private struct Problem: Encodable {
        var path: String
        var error: String
    }

    private struct Listing: Encodable {
        var repositories: [RepositoryStatus]
        var problems: [Problem]
    }
}
