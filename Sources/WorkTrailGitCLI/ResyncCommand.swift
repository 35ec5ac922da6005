import Foundation
import GitSync
import WorkTrailHub

/// `worktrail-git resync`: clean the Hub, forget the checkpoint, deliver everything again.
struct ResyncCommand {
    static let usage = """
        usage: worktrail-git resync [--repo PATH]... [--yes] [--dry-run] [--all-authors]
                                    [--hub-url URL] [--batch-size N] [--allow-insecure-http] [--verbose]

        Deletes every entry this app has stored in the Hub (the Hub's clean call covers all of
        the app's entries, from every repository), forgets the checkpoints of the repositories
        given, and delivers all of their matching commits again. Give every repository you
        sync. Asks for confirmation on a terminal; pass --yes otherwise.

          --repo PATH   a repository (repeatable; default: the one containing .)
          --yes         do not ask for confirmation
          --dry-run     say what a resync would do, and change nothing
        """

    let options: RepositoryOptions
    let confirmed: Bool
    let dryRun: Bool

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: RepositoryOptions.flags.union(["--yes", "--dry-run"]),
            options: RepositoryOptions.options
        )
        options = try RepositoryOptions(parsed, environment: environment)
        confirmed = parsed.has("--yes")
        dryRun = parsed.has("--dry-run")
    }

    func run(console: Console) async throws {
        if dryRun {
            return try preview(console: console)
        }
        guard let credentials = try options.hub.credentials() else {
            throw CommandError(
                "resync needs Hub credentials: set \(HubSetup.appKeyVariable), \(HubSetup.secretVariable)"
                    + " and \(HubSetup.tokenVariable)"
            )
        }
        let syncs = try options.repositories.map { try options.open($0) }
        if !confirmed {
            guard console.isInteractive else {
                throw UsageError("resync deletes every entry this app stored in the Hub; pass --yes to go ahead")
            }
            let names = syncs.map(\.repositoryName).joined(separator: ", ")
            let question = "This deletes every entry worktrail-git stored in the Hub and delivers the commits of"
                + " \(names) again. Continue? [y/N] "
            FileHandle.standardError.write(Data(question.utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                console.error("resync cancelled; nothing was changed")
                throw ExitStatus(code: 1)
            }
        }

        // The clean call empties the app's whole data scope, so each Hub is cleaned once: the
        // first repository resyncs, the others notice the clean and deliver everything again.
        var clients: [URL: HubClient] = [:]
        var cleaned: Set<ObjectIdentifier> = []
        var failures = 0
        for sync in syncs {
            do {
                let client = try options.client(for: sync, credentials: credentials, console: console, cache: &clients)
                let log = { (message: String) in console.error("\(sync.repositoryName): \(message)") }
                let display = ProgressDisplay(label: sync.repositoryName, console: console)
                let syncOptions = SyncOptions(batchSize: options.batchSize)
                let report =
                    cleaned.insert(ObjectIdentifier(client)).inserted
                    ? try await sync.resync(client: client, options: syncOptions, progress: display.show, log: log)
                    : try await sync.sync(client: client, options: syncOptions, progress: display.show, log: log)
                display.finish()
                SyncCommand.show(report, console: console)
            } catch {
                console.error("\(sync.displayPath): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }

    /// Says what a resync would do: one clean per Hub, then how many entries per repository.
    private func preview(console: Console) throws {
        var total = 0
        for path in options.repositories {
            let sync = try options.open(path)
            let url = try options.hub.baseURL(configured: sync.configuredHubURL)
            let count = try sync.resyncPreview()
            total += count
            console.output("\(sync.repositoryName): clean \(url.absoluteString), then create \(count) entries")
        }
        console.output("dry run: nothing was deleted or sent (\(total) entries in all)")
    }
}
