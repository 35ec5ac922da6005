import Foundation
import GitSync
import WorkTrailHub

/// Options shared by the commands that scan repositories.
struct RepositoryOptions {
    static let flags: Set<String> = HubSetup.flags.union(["--all-authors"])
    static let options: Set<String> = HubSetup.options.union(["--repo", "--batch-size"])

    let repositories: [String]
    let allAuthors: Bool
    let batchSize: Int
    let hub: HubSetup

    init(_ arguments: Arguments, environment: [String: String]) throws {
        guard arguments.operands.isEmpty else {
            throw UsageError("unexpected argument '\(arguments.operands[0])'; give repositories with --repo PATH")
        }
        repositories = arguments.all("--repo").isEmpty ? ["."] : arguments.all("--repo")
        allAuthors = arguments.has("--all-authors")
        batchSize = try arguments.positiveInteger("--batch-size") ?? 500
        hub = HubSetup(arguments, environment: environment)
    }

    /// One client per Hub URL, so that repositories sharing a Hub share its connections.
    func client(
        for sync: RepositorySync,
        credentials: HubCredentials,
        console: Console,
        cache: inout [URL: HubClient]
    ) throws -> HubClient {
        let url = try hub.baseURL(configured: sync.configuredHubURL)
        if let client = cache[url] { return client }
        let client = try hub.client(baseURL: url, credentials: credentials, console: console)
        cache[url] = client
        return client
    }
}

/// `worktrail-git sync`: deliver new commits, or show them.
struct SyncCommand {
    static let usage = """
        usage: worktrail-git sync [--repo PATH]... [--dry-run] [--all-authors] [--hub-url URL]
                                  [--batch-size N] [--allow-insecure-http] [--verbose]

        Delivers the entries of new commits to the Hub and records them in the repository's
        checkpoint, so that each commit is delivered once. With --dry-run, or when no
        credentials are set, prints one JSON object per entry instead and changes nothing.

          --repo PATH            a repository (repeatable; default: the one containing .)
          --dry-run              show what would be delivered; send and record nothing
          --all-authors          take every author's commits, not only user.email's
          --hub-url URL          the Hub (default: WORKTRAIL_HUB_URL, worktrail.hubUrl, or
                                 https://worktrail.net)
          --batch-size N         entries per request (default 500)
          --allow-insecure-http  allow plain http to a Hub that is not on this machine
          --verbose              show each retry of a failed request

        Credentials come from WORKTRAIL_APP_KEY, WORKTRAIL_SECRET_API_KEY and
        WORKTRAIL_AUTH_TOKEN, or else from the file 'worktrail-git auth' writes.
        """

    let options: RepositoryOptions
    let dryRun: Bool

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: RepositoryOptions.flags.union(["--dry-run"]),
            options: RepositoryOptions.options
        )
        options = try RepositoryOptions(parsed, environment: environment)
        dryRun = parsed.has("--dry-run")
    }

    func run(console: Console) async throws {
        let credentials = try options.hub.credentials()
        if credentials == nil && !dryRun {
            console.error(
                "no Hub credentials are set (\(HubSetup.appKeyVariable), \(HubSetup.secretVariable),"
                    + " \(HubSetup.tokenVariable), or 'worktrail-git auth'); showing what would be delivered,"
                    + " sending nothing"
            )
        }
        var clients: [URL: HubClient] = [:]
        var failures = 0
        for path in options.repositories {
            do {
                let sync = try RepositorySync(path: path, allAuthors: options.allAuthors)
                if let credentials, !dryRun {
                    let client = try options.client(for: sync, credentials: credentials, console: console, cache: &clients)
                    let report = try await sync.sync(client: client, batchSize: options.batchSize) { message in
                        console.error("\(sync.repositoryName): \(message)")
                    }
                    Self.show(report, console: console)
                } else {
                    try Self.preview(sync, console: console)
                }
            } catch {
                console.error("\(path): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }

    /// Prints `{"commit": "<sha>", "entry": {...}}` per entry that a sync would send.
    static func preview(_ sync: RepositorySync, console: Console) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = try sync.preview()
        for line in lines {
            console.output(String(decoding: try encoder.encode(line), as: UTF8.self))
        }
        console.error("\(sync.repositoryName): \(lines.count) entries would be delivered")
    }

    static func show(_ report: SyncReport, console: Console) {
        if report.leftToOtherProcess {
            console.output("\(report.repositoryName): another worktrail-git process is syncing; it takes these commits too")
            return
        }
        var parts = ["\(report.delivered) delivered"]
        if report.pending > 0 { parts.append("\(report.pending) waiting") }
        if !report.rejected.isEmpty { parts.append("\(report.rejected.count) refused by the Hub") }
        console.output("\(report.repositoryName): \(parts.joined(separator: ", "))")
        for (commit, reason) in report.rejected {
            console.error("\(report.repositoryName): commit \(commit) refused: \(reason)")
        }
    }
}
