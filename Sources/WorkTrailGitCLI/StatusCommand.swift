import Foundation
import GitSync

/// `worktrail-git status`: what each repository's checkpoint holds.
struct StatusCommand {
    static let usage = """
        usage: worktrail-git status [--repo PATH]... [--json]

        Shows, per repository, how many commits were delivered, wait in the outbox, were
        refused by the Hub, or were sent without an answer.
        """

    let repositories: [String]
    let json: Bool

    init(_ arguments: [String]) throws {
        let parsed = try Arguments(arguments, flags: ["--json"], options: ["--repo"])
        repositories = parsed.all("--repo").isEmpty ? ["."] : parsed.all("--repo")
        json = parsed.has("--json")
    }

    func run(console: Console) throws {
        var failures = 0
        for path in repositories {
            do {
                let sync = try RepositorySync(path: path, allAuthors: true)
                let counts = try sync.checkpointCounts() ?? [:]
                if json {
                    let object: [String: Any] = ["repository": sync.repositoryName, "path": sync.displayPath, "counts": counts]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    console.output(String(decoding: data, as: UTF8.self))
                } else {
                    let text = counts.isEmpty ? "never synced"
                        : counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    console.output("\(sync.repositoryName): \(text)")
                }
            } catch {
                console.error("\(path): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitStatus(code: 1) }
    }
}
