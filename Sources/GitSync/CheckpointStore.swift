import Foundation
import WorkTrailHub

/// What the checkpoint knows of one commit.
public enum CommitState: String, CaseIterable, Sendable {
    /// Built and waiting in the outbox.
    case pending
    /// Sent in a batch whose answer has not been recorded: if the process died, the Hub may or
    /// may not have stored it.
    case sending
    /// Stored by the Hub, with the id it gave.
    case delivered
    /// Refused by the Hub as invalid; kept with the Hub's reason until `--retry-rejected`.
    case rejected
    /// By an author who is no known employee (company mode); delivered once the author is.
    case skipped
    /// Sent without an answer, and not sent again because of `--at-most-once`.
    case unknown
    /// A rewrite (amend, rebase, cherry-pick) of a commit already recorded: the same work,
    /// so it gets no entry of its own.
    case rewritten
}

/// An entry built from a commit, as the checkpoint keeps it.
struct QueuedEntry: Equatable {
    var commitID: String
    var entry: HubEntry
    /// The author's e-mail after the mailmap, lowercased.
    var authorEmail: String
    /// Identifies the piece of work: author, author time and subject. A rewritten commit that
    /// keeps all three has the same key.
    var workKey: String
    var state: CommitState = .pending
}

/// Why the checkpoint cannot be used.
enum CheckpointError: Error, CustomStringConvertible {
    case unreadable(path: String, detail: String)
    case foreign(path: String)
    case notWritable(directory: String)
    case newerVersion(path: String, version: Int)
    case diskFull(path: String)
    case failed(path: String, detail: String)

    var description: String {
        switch self {
        case .unreadable(let path, let detail):
            return "the checkpoint \(path) cannot be read (\(detail)). Move it aside and run"
                + " 'worktrail-git resync' to rebuild what the Hub holds, or restore it from a backup."
        case .notWritable(let directory):
            return "cannot create a checkpoint in \(directory): it is not a directory you can write to. Give"
                + " a directory of yours for checkpoints with --state-dir DIR."
        case .foreign(let path):
            return "\(path) is not a worktrail-git checkpoint. Move it aside and run"
                + " 'worktrail-git resync' to rebuild what the Hub holds."
        case .newerVersion(let path, let version):
            return "the checkpoint \(path) was written by a newer worktrail-git (format \(version));"
                + " update worktrail-git."
        case .diskFull(let path):
            return "the disk holding \(path) is full; the last change was not recorded, what was recorded"
                + " before stays as it was. Free some space and run again."
        case .failed(let path, let detail):
            return "the checkpoint \(path) could not be updated: \(detail)"
        }
    }
}

/// The local record of what has been scanned and delivered, kept in a SQLite file.
///
/// Every change is one transaction, so a process killed at any moment leaves the file as it
/// was before or after the change. SQLite's locking keeps concurrent processes apart.
final class CheckpointStore {
    /// Marks the file as ours (`PRAGMA application_id`, "WTG1"), so a foreign one is recognised.
    private static let applicationID: Int64 = 0x5754_4731
    private static let formatVersion: Int64 = 1

    let path: String
    private let database: SQLiteDatabase
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    /// Opens the checkpoint at `path`, creating it (and its directory) when it does not exist.
    ///
    /// A new checkpoint is built complete in a file of its own and then linked into place, so
    /// a checkpoint at `path` is never half made: an empty or foreign file there is damage,
    /// and is reported as such instead of being taken for a fresh start.
    init(path: String) throws(CheckpointError) {
        self.path = path
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if !FileManager.default.fileExists(atPath: path) {
            try Self.create(at: path)
        }
        do {
            database = try SQLiteDatabase(path: path, create: false)
        } catch {
            throw .unreadable(path: path, detail: error.message)
        }
        try wrap { try checkFormat() }
    }

    /// Builds an empty checkpoint beside `path` and links it there, unless another process
    /// was quicker (then its checkpoint is used).
    private static func create(at path: String) throws(CheckpointError) {
        let directory = (path as NSString).deletingLastPathComponent
        let building = "\(path).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(building) }
        var isDirectory: ObjCBool = false
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
            FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.isWritableFile(atPath: directory)
        else {
            throw .notWritable(directory: directory)
        }
        do {
            let database = try SQLiteDatabase(path: building, create: true)
            try database.execute("PRAGMA journal_mode = WAL")
            try database.transaction {
                try database.execute(
                    """
                    PRAGMA application_id = \(applicationID);
                    PRAGMA user_version = \(formatVersion);
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE tips (ref TEXT PRIMARY KEY, commit_id TEXT NOT NULL);
                    CREATE TABLE commits (
                        commit_id TEXT PRIMARY KEY,
                        state TEXT NOT NULL,
                        entry TEXT NOT NULL,
                        author_time INTEGER NOT NULL,
                        author_email TEXT NOT NULL,
                        work_key TEXT NOT NULL,
                        hub_id INTEGER,
                        batch INTEGER,
                        reason TEXT,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX commits_by_state ON commits (state, author_time, commit_id);
                    CREATE INDEX commits_by_work ON commits (work_key);
                    """
                )
            }
        } catch {
            if [EACCES, EROFS, EPERM].contains(errno) { throw .notWritable(directory: directory) }
            if isNearlyFull(directory + "/.") { throw .diskFull(path: path) }
            throw .failed(path: path, detail: describe(error))
        }
        // The connection above is closed by now, so the file is complete; link() never
        // replaces a checkpoint another process linked first.
        if link(building, path) != 0 && errno != EEXIST {
            throw .failed(path: path, detail: String(cString: strerror(errno)))
        }
    }

    private func checkFormat() throws {
        let applicationID = try database.query("PRAGMA application_id") { $0.int(0) }.first ?? 0
        let version = try database.query("PRAGMA user_version") { $0.int(0) }.first ?? 0
        if applicationID == 0 && (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0 {
            throw CheckpointError.unreadable(path: path, detail: "the file is empty")
        }
        guard applicationID == Self.applicationID else { throw CheckpointError.foreign(path: path) }
        guard version <= Self.formatVersion else {
            throw CheckpointError.newerVersion(path: path, version: Int(version))
        }
        try database.execute("PRAGMA synchronous = NORMAL")
    }

    // MARK: - Scan state

    /// The branch tips recorded by the last scan, and the settings it was made with.
    func lastScan() throws(CheckpointError) -> (fingerprint: String?, tips: [String: String]) {
        try wrap {
            let fingerprint = try meta("scan_fingerprint")
            let rows = try database.query("SELECT ref, commit_id FROM tips") { ($0.text(0) ?? "", $0.text(1) ?? "") }
            return (fingerprint, Dictionary(rows, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// Which of `commitIDs` the checkpoint already knows, in any state.
    func known(_ commitIDs: [String]) throws(CheckpointError) -> Set<String> {
        try wrap {
            let statement = try database.prepare("SELECT 1 FROM commits WHERE commit_id = ?")
            var known = Set<String>()
            for id in commitIDs {
                try statement.rebind([.text(id)])
                if try statement.step() { known.insert(id) }
            }
            return known
        }
    }

    /// Which of `workKeys` belong to commits the checkpoint already knows.
    func knownWork(_ workKeys: [String]) throws(CheckpointError) -> Set<String> {
        try wrap {
            let statement = try database.prepare("SELECT 1 FROM commits WHERE work_key = ? LIMIT 1")
            var known = Set<String>()
            for key in workKeys {
                try statement.rebind([.text(key)])
                if try statement.step() { known.insert(key) }
            }
            return known
        }
    }

    /// Records a scan in one transaction: the new commits are recorded in their states (the
    /// pending ones join the outbox) and the tips replace the old ones. Commits the checkpoint
    /// already knows are left as they are.
    ///
    /// - Returns: how many entries joined the outbox.
    @discardableResult
    func recordScan(entries: [QueuedEntry], tips: [String: String], fingerprint: String) throws(CheckpointError) -> Int
    {
        try wrap {
            try database.transaction {
                let now = Date().timeIntervalSince1970
                let insert = try database.prepare(
                    """
                    INSERT OR IGNORE INTO commits
                        (commit_id, state, entry, author_time, author_email, work_key, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
                )
                var added = 0
                for queued in entries {
                    let json =
                        queued.state == .rewritten
                        ? "" : String(decoding: try encoder.encode(queued.entry), as: UTF8.self)
                    try insert.rebind([
                        .text(queued.commitID), .text(queued.state.rawValue), .text(json),
                        .integer(queued.entry.time), .text(queued.authorEmail), .text(queued.workKey), .real(now),
                    ])
                    while try insert.step() {}
                    if queued.state == .pending { added += database.changes }
                }
                try database.run("DELETE FROM tips")
                let tip = try database.prepare("INSERT INTO tips (ref, commit_id) VALUES (?, ?)")
                for (ref, commit) in tips {
                    try tip.rebind([.text(ref), .text(commit)])
                    while try tip.step() {}
                }
                try setMeta("scan_fingerprint", fingerprint)
                return added
            }
        }
    }

    // MARK: - Outbox

    /// The oldest entries waiting in the outbox, by author time.
    func pending(limit: Int) throws(CheckpointError) -> [QueuedEntry] {
        try entries(in: .pending, limit: limit)
    }

    func entries(in state: CommitState, limit: Int = Int.max) throws(CheckpointError) -> [QueuedEntry] {
        try wrap {
            try database.query(
                """
                SELECT commit_id, entry, author_email, work_key FROM commits WHERE state = ?
                ORDER BY author_time, commit_id LIMIT ?
                """,
                [.text(state.rawValue), .integer(Int64(min(limit, Int(Int64.max))))]
            ) { row throws(SQLiteError) in
                let json = Data((row.text(1) ?? "").utf8)
                guard let entry = try? decoder.decode(HubEntry.self, from: json) else {
                    throw SQLiteError(code: 11, message: "an outbox entry is not valid JSON", operation: "read outbox")
                }
                return QueuedEntry(
                    commitID: row.text(0) ?? "",
                    entry: entry,
                    authorEmail: row.text(2) ?? "",
                    workKey: row.text(3) ?? "",
                    state: state
                )
            }
        }
    }

    /// Marks entries as sent in batch `batch`, before the request leaves: should the process die
    /// before the answer is recorded, they are known to have an unknown outcome.
    func markSending(_ commitIDs: [String], batch: Int64) throws(CheckpointError) {
        try update(commitIDs, set: "state = 'sending', batch = ?", [.integer(batch)])
    }

    /// Records the ids the Hub gave; those commits are delivered for good.
    func markDelivered(_ delivered: [(commitID: String, hubID: Int)]) throws(CheckpointError) {
        try wrap {
            try database.transaction {
                let now = Date().timeIntervalSince1970
                let statement = try database.prepare(
                    "UPDATE commits SET state = 'delivered', hub_id = ?, entry = '', reason = NULL, updated_at = ?"
                        + " WHERE commit_id = ?"
                )
                for item in delivered {
                    try statement.rebind([.integer(Int64(item.hubID)), .real(now), .text(item.commitID)])
                    while try statement.step() {}
                }
            }
        }
    }

    /// Puts entries back in the outbox, to be sent on a later run.
    func markPending(_ commitIDs: [String]) throws(CheckpointError) {
        try update(commitIDs, set: "state = 'pending', batch = NULL", [])
    }

    /// Sets entries aside as work delivered already (from another clone, say).
    func markRewritten(_ commitIDs: [String]) throws(CheckpointError) {
        try update(commitIDs, set: "state = 'rewritten', entry = ''", [])
    }

    /// Records that entries were sent without an answer and will not be sent again.
    func markUnknown(_ commitIDs: [String]) throws(CheckpointError) {
        try update(commitIDs, set: "state = 'unknown'", [])
    }

    /// Replaces entries and puts them in the outbox: skipped ones whose author is now known,
    /// rejected ones rebuilt after the cause was fixed.
    func requeue(_ entries: [QueuedEntry]) throws(CheckpointError) {
        try wrap {
            try database.transaction {
                let now = Date().timeIntervalSince1970
                let statement = try database.prepare(
                    "UPDATE commits SET state = 'pending', entry = ?, reason = NULL, batch = NULL, updated_at = ?"
                        + " WHERE commit_id = ?"
                )
                for queued in entries {
                    let json = String(decoding: try encoder.encode(queued.entry), as: UTF8.self)
                    try statement.rebind([.text(json), .real(now), .text(queued.commitID)])
                    while try statement.step() {}
                }
            }
        }
    }

    /// The commits in a state, with the reason recorded for each (the Hub's, for rejected ones).
    func reasons(in state: CommitState) throws(CheckpointError) -> [(commitID: String, reason: String)] {
        try wrap {
            try database.query(
                "SELECT commit_id, coalesce(reason, '') FROM commits WHERE state = ? ORDER BY author_time, commit_id",
                [.text(state.rawValue)]
            ) { ($0.text(0) ?? "", $0.text(1) ?? "") }
        }
    }

    /// Skipped commits counted by author e-mail, most first.
    func skippedAuthors() throws(CheckpointError) -> [(email: String, count: Int)] {
        try wrap {
            try database.query(
                """
                SELECT author_email, count(*) AS n FROM commits WHERE state = 'skipped'
                GROUP BY author_email ORDER BY n DESC, author_email
                """
            ) { ($0.text(0) ?? "", Int($0.int(1))) }
        }
    }

    /// Moves entries the Hub refused as invalid out of the outbox, with the Hub's reason.
    func markRejected(_ commitIDs: [String], reason: String) throws(CheckpointError) {
        try update(commitIDs, set: "state = 'rejected', reason = ?", [.text(reason)])
    }

    /// A number that no earlier batch of this checkpoint used.
    func nextBatchNumber() throws(CheckpointError) -> Int64 {
        try wrap {
            try database.transaction {
                let next = (Int64(try meta("last_batch") ?? "0") ?? 0) + 1
                try setMeta("last_batch", String(next))
                return next
            }
        }
    }

    private func update(_ commitIDs: [String], set assignments: String, _ values: [SQLiteValue]) throws(CheckpointError)
    {
        guard !commitIDs.isEmpty else { return }
        try wrap {
            try database.transaction {
                let now = Date().timeIntervalSince1970
                let statement = try database.prepare(
                    "UPDATE commits SET \(assignments), updated_at = ? WHERE commit_id = ?"
                )
                for id in commitIDs {
                    try statement.rebind(values + [.real(now), .text(id)])
                    while try statement.step() {}
                }
            }
        }
    }

    // MARK: - Status and reset

    /// How many commits are in one state; cheap, through the state index.
    func count(in state: CommitState) throws(CheckpointError) -> Int {
        try wrap {
            Int(
                try database.query("SELECT count(*) FROM commits WHERE state = ?", [.text(state.rawValue)]) {
                    $0.int(0)
                }.first ?? 0
            )
        }
    }

    /// How many commits are in each state.
    func counts() throws(CheckpointError) -> [CommitState: Int] {
        try wrap {
            let rows = try database.query("SELECT state, count(*) FROM commits GROUP BY state") { row in
                (CommitState(rawValue: row.text(0) ?? ""), Int(row.int(1)))
            }
            var counts: [CommitState: Int] = [:]
            for case let (state?, count) in rows { counts[state] = count }
            return counts
        }
    }

    /// Forgets every commit and tip after the Hub was cleaned at `cleanedAt`, so that the next
    /// scan starts from nothing; a resync in progress is then complete as far as the Hub goes.
    func forgetEverything(cleanedAt: Double) throws(CheckpointError) {
        try wrap {
            try database.transaction {
                try database.execute(
                    """
                    DELETE FROM commits;
                    DELETE FROM tips;
                    DELETE FROM meta WHERE key IN ('scan_fingerprint', 'resync_started');
                    """
                )
                try setMeta("hub_cleaned_at", String(cleanedAt))
            }
        }
    }

    /// Records when a sync ended and how: its error, or none.
    func recordOutcome(error: String?) throws {
        try database.transaction {
            try setMeta("last_sync", String(Date().timeIntervalSince1970))
            try setMeta("last_error", error)
        }
    }

    func meta(_ key: String) throws -> String? {
        try database.query("SELECT value FROM meta WHERE key = ?", [.text(key)]) { $0.text(0) }.first ?? nil
    }

    func setMeta(_ key: String, _ value: String?) throws {
        if let value {
            try database.run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [.text(key), .text(value)])
        } else {
            try database.run("DELETE FROM meta WHERE key = ?", [.text(key)])
        }
    }

    /// Runs store code, turning SQLite's errors into ones that name the file and the way out.
    private func wrap<Result>(_ body: () throws -> Result) throws(CheckpointError) -> Result {
        do {
            return try body()
        } catch let error as CheckpointError {
            throw error
        } catch let error as SQLiteError where error.isCorrupt {
            throw .unreadable(path: path, detail: error.message)
        } catch let error as SQLiteError where error.isDiskFull || (error.isIOError && Self.isNearlyFull(path)) {
            throw .diskFull(path: path)
        } catch {
            throw .failed(path: path, detail: describe(error))
        }
    }

    /// Whether the file system holding `path` has less than a mebibyte left, which makes a
    /// write error most likely a full disk.
    private static func isNearlyFull(_ path: String) -> Bool {
        var info = statvfs()
        guard statvfs((path as NSString).deletingLastPathComponent, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) < 1 << 20
    }
}

/// An error's own words for a message: SQLite's message, or a file system error without the
/// Foundation domain and code around it.
func describe(_ error: any Error) -> String {
    if let error = error as? SQLiteError { return error.message }
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    return nsError.localizedDescription
}
