import Foundation
import GitSync
import WorkTrailDaemon
import WorkTrailHub

/// Options shared by the commands that scan repositories.
struct RepositoryOptions {
    static let flags: Set<String> = HubSetup.flags.union(["--all-authors"])
    static let options: Set<String> = HubSetup.options.union([
        "--repo", "--batch-size", "--state-dir", "--link-template",
    ])

    let repositories: [String]
    let allAuthors: Bool
    let batchSize: Int
    let stateRoot: String?
    let linkTemplate: String?
    let hub: HubSetup
    let environment: [String: String]

    init(_ arguments: Arguments, environment: [String: String]) throws {
        guard arguments.operands.isEmpty else {
            throw UsageError("unexpected argument '\(arguments.operands[0])'; give repositories with --repo PATH")
        }
        repositories = arguments.all("--repo").isEmpty ? ["."] : arguments.all("--repo")
        allAuthors = arguments.has("--all-authors")
        batchSize = try arguments.positiveInteger("--batch-size") ?? 500
        stateRoot = arguments.value("--state-dir")
        linkTemplate = arguments.value("--link-template")
        self.environment = environment
        hub = HubSetup(arguments, environment: environment)
    }

    /// Opens a repository for syncing with these options.
    func open(_ path: String) throws -> RepositorySync {
        try RepositorySync(
            path: path,
            allAuthors: allAuthors,
            stateRoot: stateRoot,
            linkTemplate: linkTemplate,
            environment: environment
        )
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
                                  [--batch-size N] [--at-most-once] [--retry-rejected]
                                  [--state-dir DIR] [--allow-insecure-http] [--verbose]

        Delivers the entries of new commits to the Hub and records them in the repository's
        checkpoint, so that each commit is delivered once. With --dry-run, or when no
        credentials are set, prints one JSON object per entry instead and changes nothing.

          --repo PATH            a repository (repeatable; default: the one containing .)
          --dry-run              show what would be delivered; send and record nothing
          --all-authors          take every author's commits, not only user.email's
          --hub-url URL          the Hub (default: WORKTRAIL_HUB_URL, worktrail.hubUrl, or
                                 https://worktrail.net)
          --batch-size N         entries per request (default 500)
          --at-most-once         never send an entry twice: entries sent without an answer
                                 are set aside (shown by status) instead of sent again
          --retry-rejected       rebuild the entries the Hub refused and send them again
          --state-dir DIR        keep checkpoints under DIR (for repositories you cannot
                                 write to) instead of in each repository's git directory
          --link-template T      commit links from T ({sha}, {repo}) for this run, in place of
                                 worktrail.linkTemplate and the origin remote
          --allow-insecure-http  allow plain http to a Hub that is not on this machine
          --verbose              show each retry of a failed request

        Credentials come from WORKTRAIL_APP_KEY, WORKTRAIL_SECRET_API_KEY and
        WORKTRAIL_AUTH_TOKEN, or else from the file 'worktrail-git auth' writes.
        """

    let options: RepositoryOptions
    let dryRun: Bool
    let syncOptions: SyncOptions

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: RepositoryOptions.flags.union(["--dry-run", "--at-most-once", "--retry-rejected"]),
            options: RepositoryOptions.options
        )
        options = try RepositoryOptions(parsed, environment: environment)
        dryRun = parsed.has("--dry-run")
        syncOptions = SyncOptions(
            batchSize: options.batchSize,
            atMostOnce: parsed.has("--at-most-once"),
            retryRejected: parsed.has("--retry-rejected")
        )
    }

    func run(console: Console) async throws {
        let credentials = try options.hub.credentials()
        if credentials == nil {
            console.error(HubSetup.noCredentials("showing what would be delivered, sending nothing"))
        }
        var clients: [URL: HubClient] = [:]
        var failures = 0
        // Ctrl-C or SIGTERM while delivering: the batch in flight finishes (or is abandoned
        // after a grace period), the rest waits in the outbox, and the run ends.
        let inbox = DaemonInbox()
        if credentials != nil && !dryRun { inbox.listenForSignals() }
        for path in options.repositories where !inbox.stopRequested {
            var label = path
            do {
                let sync = try options.open(path)
                label = sync.repositoryName
                if let credentials, !dryRun {
                    let client = try options.client(
                        for: sync,
                        credentials: credentials,
                        console: console,
                        cache: &clients
                    )
                    let name = sync.repositoryName
                    let display = ProgressDisplay(label: name, console: console)
                    let report = try await stoppableSync(
                        sync,
                        client: client,
                        options: syncOptions,
                        inbox: inbox,
                        progress: { display.show($0) },
                        log: { console.error("\(name): \($0)") }
                    )
                    display.finish()
                    Self.show(report, console: console)
                    // Refused entries did not go through: say so in the exit status too.
                    if !report.rejected.isEmpty { failures += 1 }
                } else {
                    let hub = try? HubConfiguration(
                        baseURL: options.hub.baseURL(configured: sync.configuredHubURL),
                        credentials: credentials
                    )
                    if let credentials, sync.isCompanyMode {
                        // Reading the employee list changes nothing in the Hub, and without it a
                        // preview could not say whose entries are whose.
                        let client = try options.client(
                            for: sync,
                            credentials: credentials,
                            console: console,
                            cache: &clients
                        )
                        do {
                            try await sync.refreshEmployeeList(client: client)
                        } catch {
                            console.error("\(sync.repositoryName): the employee list could not be read: \(error)")
                        }
                    }
                    try Self.preview(sync, hub: hub, console: console)
                }
            } catch {
                console.error("\(label): \(error)")
                failures += 1
            }
        }
        if inbox.stopRequested {
            console.error("stopped; what was not delivered waits in the outbox for the next sync")
            throw ExitStatus(code: 130)
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }

    /// Prints `{"commit": "<sha>", "entry": {...}}` per entry that a sync would send.
    static func preview(_ sync: RepositorySync, hub: HubConfiguration?, console: Console) throws {
        // Lines are written as they come, through one buffer: a first preview prints a whole
        // history, which should neither be held in memory nor cost a write call per line.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var lines = 0
        var skipped: [String: Int] = [:]
        try sync.preview(
            hub: hub,
            each: { line in
                line.appendJSON(to: &buffer)
                buffer.append(UInt8(ascii: "\n"))
                lines += 1
                if buffer.count >= 1 << 16 {
                    console.output(bytes: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            },
            skipped: { skipped[$0, default: 0] += 1 }
        )
        console.output(bytes: buffer)
        console.error("\(sync.repositoryName): \(count(lines, "entry", "entries")) would be delivered")
        let why = hub?.credentials == nil ? " (no credentials to read the employee list)" : ""
        for (email, commits) in skipped.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            let commitsText = count(commits, "commit", "commits")
            console.error(
                "\(sync.repositoryName): \(commitsText) by \(email) would be skipped: no known employee\(why)"
            )
        }
    }

    static func show(_ report: SyncReport, console: Console) {
        if report.leftToOtherProcess {
            console.output(
                "\(report.repositoryName): another worktrail-git process is syncing; it takes these commits too"
            )
            return
        }
        var parts = ["\(report.delivered) delivered"]
        if report.pending > 0 { parts.append("\(report.pending) waiting") }
        if report.deliveredElsewhere > 0 {
            parts.append("\(report.deliveredElsewhere) delivered before from another clone")
        }
        if !report.rejected.isEmpty { parts.append("\(report.rejected.count) refused by the Hub") }
        let skipped = report.skippedAuthors.reduce(0) { $0 + $1.count }
        if skipped > 0 { parts.append("\(skipped) by unknown authors") }
        console.output("\(report.repositoryName): \(parts.joined(separator: ", "))")
        for (commit, reason) in report.rejected {
            console.error("\(report.repositoryName): commit \(commit) refused: \(reason)")
        }
        for (email, commits) in report.skippedAuthors {
            console.error(
                "\(report.repositoryName): \(count(commits, "commit", "commits")) by \(email),"
                    + " who is no known employee;"
                    + " add an alias with: git config worktrail.employee.<id>.email \(email)"
            )
        }
    }
}

/// "1 entry", "3 entries".
func count(_ number: Int, _ singular: String, _ plural: String) -> String {
    "\(number) \(number == 1 ? singular : plural)"
}
