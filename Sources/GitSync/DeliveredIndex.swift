import Foundation

/// What this user delivered to one Hub from any repository on this machine: commit ids and
/// work keys (author, author time, subject).
///
/// Each repository keeps its own checkpoint, so a second clone or a mirror of a repository
/// that was synced already would otherwise deliver its whole history again. Before a sync
/// sends its outbox, entries whose commit or work is in this index are set aside as the same
/// work. The index lives beside the Hub's other per-user state and is emptied when the Hub is
/// cleaned. It is a best effort for one machine: the Hub itself cannot be asked what it holds.
final class DeliveredIndex {
    private let database: SQLiteDatabase

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("delivered.sqlite")
        database = try SQLiteDatabase(path: path, create: true)
        try database.execute(
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS delivered (key TEXT PRIMARY KEY) WITHOUT ROWID;
            """
        )
    }

    /// Which of the entries were delivered already, by commit id or by work key.
    func alreadyDelivered(_ entries: [QueuedEntry]) throws -> [QueuedEntry] {
        let statement = try database.prepare("SELECT 1 FROM delivered WHERE key = ?")
        return try entries.filter { entry in
            for key in Self.keys(of: entry) {
                try statement.rebind([.text(key)])
                if try statement.step() { return true }
            }
            return false
        }
    }

    /// Adds delivered entries, in one transaction.
    func add(_ entries: [QueuedEntry]) throws {
        try database.transaction {
            let statement = try database.prepare("INSERT OR IGNORE INTO delivered (key) VALUES (?)")
            for entry in entries {
                for key in Self.keys(of: entry) {
                    try statement.rebind([.text(key)])
                    while try statement.step() {}
                }
            }
        }
    }

    /// The commit id, and the work key within the repository's name (the summary starts with it):
    /// the same subject at the same second in another project is other work.
    private static func keys(of entry: QueuedEntry) -> [String] {
        let project = entry.entry.summary.prefix { $0 != ":" }
        return ["c:" + entry.commitID, "w:\(project)\u{1F}" + entry.workKey]
    }

    /// Forgets everything, after the Hub was cleaned.
    func removeAll() throws {
        try database.execute("DELETE FROM delivered")
    }
}
