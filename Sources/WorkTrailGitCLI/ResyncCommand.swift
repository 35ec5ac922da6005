import Foundation
import GitSync
import WorkTrailHub

/// `worktrail-git resync`: clean the Hub, forget the checkpoint, deliver everything again.
struct ResyncCommand {
    static let usage = """
        usage: worktrail-git resync [--repo PATH]... [--yes] [--all-authors] [--hub-url URL]
                                    [--batch-size N] [--allow-insecure-http]

        Deletes every entry this app has stored in the Hub (the Hub's clean call covers all of
        the app's entries, from every repository), forgets the checkpoints of the repositories
        given, and delivers all of their matching commits again. Give every repository you
        sync. Asks for confirmation on a terminal; pass --yes otherwise.

          --repo PATH   a repository (repeatable; default: the one containing .)
          --yes         do not ask for confirmation
        """

    let options: RepositoryOptions
    let confirmed: Bool

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: RepositoryOptions.flags.union(["--yes"]),
            options: RepositoryOptions.options
        )
        options = try RepositoryOptions(parsed, environment: environment)
        confirmed = parsed.has("--yes")
    }

    func run(console: Console) async throws {
        guard let credentials = try options.hub.credentials() else {
            throw UsageError(
                "resync needs Hub credentials: set \(HubSetup.appKeyVariable), \(HubSetup.secretVariable)"
                    + " and \(HubSetup.tokenVariable)"
            )
        }
        let syncs = try options.repositories.map { try RepositorySync(path: $0, allAuthors: options.allAuthors) }
        if !confirmed {
            guard console.isInteractive else {
                throw UsageError("resync deletes every entry this app stored in the Hub; pass --yes to go ahead")
            }
            let names = syncs.map(\.repositoryName).joined(separator: ", ")
            FileHandle.standardError.write(Data(
                "This deletes every entry worktrail-git stored in the Hub and delivers the commits of \(names) again. Continue? [y/N] ".utf8
            ))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                console.error("resync cancelled; nothing was changed")
                throw ExitStatus(code: 1)
            }
        }

        var clients: [URL: HubClient] = [:]
        var failures = 0
        for sync in syncs {
            do {
                let client = try options.client(for: sync, credentials: credentials, cache: &clients)
                let report = try await sync.resync(client: client, batchSize: options.batchSize) { message in
                    console.error("\(sync.repositoryName): \(message)")
                }
                SyncCommand.show(report, console: console)
            } catch {
                console.error("\(sync.displayPath): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }
}
