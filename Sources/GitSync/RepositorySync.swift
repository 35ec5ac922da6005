import Foundation
import Git
import WorkTrailHub

/// What one sync of one repository did.
public struct SyncReport: Sendable {
    public var repositoryName = ""
    /// Commits read from the repository.
    public var commitsRead = 0
    /// Entries that joined the outbox in this run.
    public var queued = 0
    /// Entries the Hub stored in this run.
    public var delivered = 0
    /// Entries the Hub refused as invalid in this run, with its reason, by commit.
    public var rejected: [(commit: String, reason: String)] = []
    /// Entries still waiting in the outbox after the run.
    public var pending = 0
    /// Entries of an interrupted earlier run, sent again because their outcome was unknown.
    public var resentAfterInterruption = 0
    /// True when another process was already syncing this repository and will cover this run's
    /// commits.
    public var leftToOtherProcess = false
}

/// Why a sync stopped; each message names the repository or file and what to do.
public struct SyncError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Syncs one repository: scan for new commits, queue their entries, deliver the outbox.
public final class RepositorySync {
    let repository: Repository
    let settings: RepositorySettings
    let mailmap: Mailmap
    /// Where the checkpoint, the lock and the logs live: `<common git dir>/worktrail`.
    public let stateDirectory: String
    /// The environment, for the user's state directory (`XDG_STATE_HOME`, `HOME`).
    let environment: [String: String]
    var checkpointPath: String { (stateDirectory as NSString).appendingPathComponent("checkpoint.sqlite") }

    /// Opens the repository containing `path` and reads its settings.
    ///
    /// - Throws: `SyncError` for a path that is no repository, `SettingsError` for a bad setting.
    public init(
        path: String,
        allAuthors: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.environment = environment
        guard FileManager.default.fileExists(atPath: path) else {
            throw SyncError("no such file or directory")
        }
        repository = try Self.openRepository(containing: path)
        let configuration = try repository.configuration()
        settings = try RepositorySettings.read(
            repository: repository,
            configuration: configuration,
            allAuthors: allAuthors
        )
        mailmap = try Mailmap(repository: repository)
        stateDirectory = (repository.commonDirectory as NSString).appendingPathComponent("worktrail")
    }

    private static func openRepository(containing path: String) throws -> Repository {
        let result = Result { () throws(GitError) in try Repository.discover(containing: path) }
        if case .failure(let error) = result, error.code == GitError.notFound.code {
            throw SyncError("not inside a git repository; give one with --repo PATH")
        }
        return try result.get()
    }

    public var repositoryName: String { settings.repositoryName }

    /// The Hub URL configured for this repository (`worktrail.hubUrl`), if any.
    public var configuredHubURL: String? { settings.hubURL }

    /// The working tree, or the git directory of a bare repository, for messages.
    public var displayPath: String { repository.workingDirectory ?? repository.commonDirectory }

    private var scanner: Scanner { Scanner(repository: repository, settings: settings, mailmap: mailmap) }

    // MARK: - Preview

    /// One line of a preview: the commit and exactly the entry that would be sent for it.
    public struct PreviewLine: Encodable, Sendable {
        public var commit: String
        public var entry: HubEntry
    }

    /// What a sync would deliver now: the outbox, then the entries of new commits. Changes
    /// nothing, not even by creating the checkpoint.
    public func preview() throws -> [PreviewLine] {
        // A resync that was started but not finished will begin again from nothing.
        let store = FileManager.default.fileExists(atPath: checkpointPath)
            ? try CheckpointStore(path: checkpointPath) : nil
        guard let store, try store.meta("resync_started") == nil else {
            let scan = try scanner.scan(previous: (nil, [:]), isKnown: { _ in [] })
            return scan.entries.map { PreviewLine(commit: $0.commitID, entry: $0.entry) }
        }
        var lines: [PreviewLine] = []
        for state in [CommitState.sending, .pending] {
            lines += try store.entries(in: state).map { PreviewLine(commit: $0.commitID, entry: $0.entry) }
        }
        let scan = try scanner.scan(previous: try store.lastScan(), isKnown: { try store.known($0) })
        lines += scan.entries.map { PreviewLine(commit: $0.commitID, entry: $0.entry) }
        return lines
    }

    // MARK: - Sync

    /// Scans for new commits and delivers every waiting entry through `client`.
    ///
    /// When another process is syncing the same repository, returns at once with
    /// `leftToOtherProcess` set: that process scans again before it stops.
    public func sync(client: HubClient, batchSize: Int, log: (String) -> Void) async throws -> SyncReport {
        let store = try CheckpointStore(path: checkpointPath)
        let lock = SyncLock(directory: stateDirectory)
        var report = SyncReport(repositoryName: repositoryName)
        guard try lock.requestAndTryAcquire() else {
            report.leftToOtherProcess = true
            return report
        }
        repeat {
            report = try await pass(store: store, client: client, batchSize: batchSize, report: report, log: log)
        } while try lock.releaseAndCheckRequests()
        return report
    }

    /// Deletes everything this app stored in the Hub, forgets the checkpoint and delivers every
    /// matching commit again.
    ///
    /// The intent is recorded before the Hub is cleaned, so a resync that stops half-way is
    /// finished by the next sync or resync instead of leaving the Hub with part of the history.
    /// Other repositories synced from this machine notice the clean on their next sync and
    /// deliver their commits again too.
    public func resync(client: HubClient, batchSize: Int, log: (String) -> Void) async throws -> SyncReport {
        let store = try CheckpointStore(path: checkpointPath)
        let lock = SyncLock(directory: stateDirectory)
        try lock.acquireWaiting()
        try store.setMeta("resync_started", ISO8601DateFormatter().string(from: Date()))
        var report = SyncReport(repositoryName: repositoryName)
        repeat {
            report = try await pass(store: store, client: client, batchSize: batchSize, report: report, log: log)
        } while try lock.releaseAndCheckRequests()
        return report
    }

    /// What a resync would do, without doing it: the number of entries it would create.
    public func resyncPreview() throws -> Int {
        try scanner.scan(previous: (nil, [:]), isKnown: { _ in [] }).entries.count
    }

    /// Counts of the checkpoint's commits by state, or nil when there is no checkpoint yet.
    public func checkpointCounts() throws -> [String: Int]? {
        guard FileManager.default.fileExists(atPath: checkpointPath) else { return nil }
        let counts = try CheckpointStore(path: checkpointPath).counts()
        return Dictionary(uniqueKeysWithValues: CommitState.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
    }

    /// One pass under the lock: finish a started resync, scan, then empty the outbox.
    private func pass(
        store: CheckpointStore,
        client: HubClient,
        batchSize: Int,
        report: SyncReport,
        log: (String) -> Void
    ) async throws -> SyncReport {
        let cleanRecord = HubCleanRecord(configuration: await client.configuration, environment: environment)
        if try store.meta("resync_started") != nil {
            do {
                try await client.clean()
            } catch {
                throw SyncError("cleaning the Hub failed: \(error); the resync will be finished by the next run")
            }
            let now = Date().timeIntervalSince1970
            try cleanRecord.recordClean(at: now)
            try store.forgetEverything()
            try store.setMeta("hub_cleaned_at", String(now))
        } else if let cleaned = cleanRecord.lastClean(), cleaned > Double(try store.meta("hub_cleaned_at") ?? "") ?? 0 {
            if try store.counts()[.delivered, default: 0] > 0 {
                log("the Hub was cleaned by a resync since this repository was last synced; delivering it again")
            }
            try store.forgetEverything()
            try store.setMeta("hub_cleaned_at", String(cleaned))
        }

        let delivery = Delivery(store: store, client: client, report: report)
        let interrupted = try store.entries(in: .sending).map(\.commitID)
        if !interrupted.isEmpty {
            log("\(interrupted.count) entries of an interrupted batch are sent again; the Hub may show them twice")
            try store.markPending(interrupted)
            delivery.report.resentAfterInterruption += interrupted.count
        }

        let scan = try scanner.scan(previous: try store.lastScan(), isKnown: { try store.known($0) })
        delivery.report.commitsRead += scan.commitsRead
        if !scan.upToDate {
            delivery.report.queued += try store.recordScan(
                entries: scan.entries,
                tips: scan.tips,
                fingerprint: scan.fingerprint
            )
        }

        try await delivery.deliverOutbox(batchSize: max(1, batchSize))
        if try store.meta("resync_started") != nil {
            try store.setMeta("resync_started", nil)
        }
        delivery.report.pending = try store.counts()[.pending] ?? 0
        return delivery.report
    }
}

/// Empties a repository's outbox into the Hub, one batch at a time, recording each batch
/// before it is sent and again when the answer arrives.
private final class Delivery {
    let store: CheckpointStore
    let client: HubClient
    var report: SyncReport

    init(store: CheckpointStore, client: HubClient, report: SyncReport) {
        self.store = store
        self.client = client
        self.report = report
    }

    /// Sends the outbox in batches, oldest first.
    func deliverOutbox(batchSize: Int) async throws {
        while true {
            let batch = try store.pending(limit: batchSize)
            if batch.isEmpty { return }
            try await send(batch)
        }
    }

    /// Sends one batch. A batch the Hub refuses as invalid is split in halves until the entries
    /// at fault are alone, so that one bad entry does not hold back the others.
    private func send(_ batch: [QueuedEntry]) async throws {
        let commitIDs = batch.map(\.commitID)
        try store.markSending(commitIDs, batch: try store.nextBatchNumber())
        let result: Result<[Int?], HubError>
        do {
            result = .success(try await client.create(batch.map(\.entry)))
        } catch {
            result = .failure(error)
        }

        switch result {
        case .success(let ids):
            try record(ids, for: commitIDs)
        case .failure(let error) where error.isInvalidModel && batch.count == 1:
            try store.markRejected(commitIDs, reason: error.description)
            report.rejected.append((commitIDs[0], error.description))
        case .failure(let error) where error.isInvalidModel:
            try store.markPending(commitIDs)
            let half = batch.count / 2
            try await send(Array(batch[..<half]))
            try await send(Array(batch[half...]))
        case .failure(let error) where error.outcomeUnknown:
            // Left as "sending": the next run sends them again, and says so.
            throw SyncError("\(error); \(batch.count) entries may or may not have been stored and will be sent again")
        case .failure(let error):
            try store.markPending(commitIDs)
            throw SyncError("\(error); \(batch.count) entries stay in the outbox for the next run")
        }
    }

    /// Records the ids the Hub gave; entries without one go back to the outbox.
    private func record(_ ids: [Int?], for commitIDs: [String]) throws {
        let delivered = zip(commitIDs, ids).compactMap { commit, id in id.map { (commitID: commit, hubID: $0) } }
        try store.markDelivered(delivered)
        report.delivered += delivered.count
        guard delivered.count < commitIDs.count else { return }
        let missing = Set(commitIDs).subtracting(delivered.map(\.commitID))
        try store.markPending(Array(missing))
        throw SyncError(
            "the Hub returned ids for \(delivered.count) of \(commitIDs.count) entries;"
                + " the other \(missing.count) stay in the outbox for the next run"
        )
    }
}
