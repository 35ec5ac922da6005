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
    /// Entries not sent because another repository on this machine delivered the same work to
    /// this Hub already (a second clone, a mirror).
    public var deliveredElsewhere = 0
    /// Entries of an interrupted earlier run whose outcome is unknown: sent again (the default)
    /// or set aside (`--at-most-once`).
    public var interrupted = 0
    /// Commits of authors who are no known employee (company mode), by e-mail.
    public var skippedAuthors: [(email: String, count: Int)] = []
    /// True when another process was already syncing this repository and will cover this run's
    /// commits.
    public var leftToOtherProcess = false
}

/// How a sync delivers.
public struct SyncOptions: Sendable {
    /// Entries per request.
    public var batchSize = 500
    /// Never send an entry twice: entries sent without an answer are set aside instead of
    /// being sent again (they may then be missing from the Hub).
    public var atMostOnce = false
    /// Rebuild the entries the Hub refused and send them again.
    public var retryRejected = false
    /// Asked between batches; when it answers true, delivery stops after the batch in flight
    /// and the rest waits in the outbox (a daemon told to stop, say).
    public var shouldStop: @Sendable () -> Bool

    public init(
        batchSize: Int = 500,
        atMostOnce: Bool = false,
        retryRejected: Bool = false,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.batchSize = max(1, batchSize)
        self.atMostOnce = atMostOnce
        self.retryRejected = retryRejected
        self.shouldStop = shouldStop
    }
}

/// How far a delivery has come, for progress displays.
public struct SyncProgress: Sendable {
    public var delivered: Int
    public var total: Int
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
    private var loadedMailmap: Mailmap?
    /// Where the checkpoint and the lock live: `<common git dir>/worktrail`, or a directory
    /// of its own under `--state-dir`.
    public let stateDirectory: String
    /// The environment, for the user's state directory (`XDG_STATE_HOME`, `HOME`).
    let environment: [String: String]
    var checkpointPath: String { (stateDirectory as NSString).appendingPathComponent("checkpoint.sqlite") }

    /// Opens the repository containing `path` and reads its settings.
    ///
    /// - Parameters:
    ///   - stateRoot: a directory for checkpoints of repositories this user cannot write to;
    ///     each repository gets a directory of its own below it.
    ///   - linkTemplate: a commit link template for this run, in place of `worktrail.linkTemplate`.
    /// - Throws: `SyncError` for a path that is no repository, `SettingsError` for a bad setting.
    public init(
        path: String,
        allAuthors: Bool,
        stateRoot: String? = nil,
        linkTemplate: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SyncError("no such file or directory")
        }
        self.environment = environment
        repository = try Self.openRepository(containing: path)
        let configuration = try repository.configuration()
        settings = try RepositorySettings.read(
            repository: repository,
            configuration: configuration,
            allAuthors: allAuthors,
            linkTemplate: linkTemplate
        )
        let common = repository.commonDirectory
        if let stateRoot {
            let name = "\(settings.repositoryName)-\(String(fnv1a(common), radix: 16))"
            stateDirectory = (stateRoot as NSString).appendingPathComponent(name)
        } else {
            stateDirectory = (common as NSString).appendingPathComponent("worktrail")
        }
    }

    private static func openRepository(containing path: String) throws -> Repository {
        // A do/catch around this call returning the class crashes the 6.3 compiler; Result does not.
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

    var scanner: Scanner { Scanner(repository: repository, settings: settings, mailmap: mailmap) }

    /// The repository's mailmap, read on first use: a sync that finds nothing new needs none.
    func mailmap() throws -> Mailmap {
        if let loadedMailmap { return loadedMailmap }
        let mailmap = try Mailmap(repository: repository)
        loadedMailmap = mailmap
        return mailmap
    }

    // MARK: - Preview

    /// One line of a preview: the commit and exactly the entry that would be sent for it.
    public struct PreviewLine: Encodable, Sendable {
        public var commit: String
        public var entry: HubEntry
    }

    /// What a sync would deliver now: the outbox, then the entries of new commits. Changes
    /// nothing, not even by creating the checkpoint.
    ///
    /// - Parameter hub: in company mode, the Hub whose cached employee list places authors.
    public func preview(hub: HubConfiguration? = nil) throws -> [PreviewLine] {
        var lines: [PreviewLine] = []
        try preview(hub: hub) { lines.append($0) }
        return lines
    }

    /// What a sync would deliver now, one line at a time, so that a whole history is never
    /// held as entries at once. Changes nothing, not even by creating the checkpoint.
    ///
    /// - Parameters:
    ///   - hub: in company mode, the Hub whose cached employee list places authors.
    ///   - each: called with each line, in the order a sync would deliver them.
    ///   - skipped: in company mode, called with the author e-mail of each new commit that would
    ///     be skipped because its author is no known employee.
    public func preview(
        hub: HubConfiguration? = nil,
        each: (PreviewLine) throws -> Void,
        skipped: (String) -> Void = { _ in }
    ) throws {
        // Employees matter in company mode only; personal mode reads no cache.
        let directory = settings.companyMode
            ? EmployeeDirectory(
                employees: hub.flatMap { HubState(configuration: $0, environment: environment).cachedEmployeeList() }
                    ?? [],
                aliases: settings.employeeAliases
            )
            : nil
        // A resync that was started but not finished will begin again from nothing.
        let store =
            FileManager.default.fileExists(atPath: checkpointPath)
            ? try CheckpointStore(path: checkpointPath) : nil
        guard let store, try store.meta("resync_started") == nil else {
            let scan = try scanner.scan(previous: (nil, [:]), isKnown: { _ in [] })
            try forEachClassified(scan.commits, knownWork: [], directory: directory) { queued in
                if queued.state == .pending { try each(PreviewLine(commit: queued.commitID, entry: queued.entry)) }
                if queued.state == .skipped { skipped(queued.authorEmail) }
            }
            return
        }
        for state in [CommitState.sending, .pending] {
            for queued in try store.entries(in: state) {
                try each(PreviewLine(commit: queued.commitID, entry: queued.entry))
            }
        }
        let scan = try scanner.scan(previous: try store.lastScan(), isKnown: { try store.known($0) })
        let knownWork = try store.knownWork(scan.commits.map(\.workKey))
        try forEachClassified(scan.commits, knownWork: knownWork, directory: directory) { queued in
            if queued.state == .pending { try each(PreviewLine(commit: queued.commitID, entry: queued.entry)) }
            if queued.state == .skipped { skipped(queued.authorEmail) }
        }
    }

    /// Whether every author is matched to an employee (`worktrail.mode company`).
    public var isCompanyMode: Bool { settings.companyMode }

    /// Fetches the Hub's employee list into the cache when it is older than allowed, so that a
    /// preview in company mode places authors as a sync would.
    public func refreshEmployeeList(client: HubClient) async throws {
        let hubState = HubState(configuration: await client.configuration, environment: environment)
        _ = try await hubState.employees(maxAge: settings.employeeCacheAge) { try await client.employees() }
    }

    /// What a resync would create: every matching commit's entry, the checkpoint ignored.
    public func resyncPreview() throws -> Int {
        let scan = try scanner.scan(previous: (nil, [:]), isKnown: { _ in [] })
        return try classify(scan.commits, knownWork: [], directory: nil).filter { $0.state != .rewritten }.count
    }

    /// Decides what becomes of newly found commits: a rewrite of known work gets no entry; in
    /// company mode an author who is no known employee is skipped (for now); the rest join the
    /// outbox.
    func classify(
        _ commits: [ScannedCommit],
        knownWork: Set<String>,
        directory: EmployeeDirectory?
    ) throws -> [QueuedEntry] {
        var entries: [QueuedEntry] = []
        entries.reserveCapacity(commits.count)
        try forEachClassified(commits, knownWork: knownWork, directory: directory) { entries.append($0) }
        return entries
    }

    /// `classify`, one commit at a time.
    private func forEachClassified(
        _ commits: [ScannedCommit],
        knownWork: Set<String>,
        directory: EmployeeDirectory?,
        _ body: (QueuedEntry) throws -> Void
    ) throws {
        // Work keys seen in this scan are kept hashed: a first scan sees a whole history's.
        var seenWork = Set<WorkHash>(minimumCapacity: commits.count)
        for scanned in commits {
            var entry = try settings.entry(for: scanned.commit)
            var state = CommitState.pending
            let workKey = scanned.workKey
            if knownWork.contains(workKey) || !seenWork.insert(scanned.workHash).inserted {
                state = .rewritten
            } else if settings.companyMode {
                entry.employeeID = directory?.employee(for: scanned.authorEmail)
                if entry.employeeID == nil { state = .skipped }
            }
            try body(
                QueuedEntry(
                    commitID: scanned.id.hex,
                    entry: entry,
                    authorEmail: scanned.authorEmail,
                    workKey: workKey,
                    state: state
                )
            )
        }
    }

    // MARK: - Sync

    /// Scans for new commits and delivers every waiting entry through `client`.
    ///
    /// When another process is syncing the same repository, returns at once with
    /// `leftToOtherProcess` set: that process scans again before it stops.
    public func sync(
        client: HubClient,
        options: SyncOptions = SyncOptions(),
        progress: @escaping (SyncProgress) -> Void = { _ in },
        log: (String) -> Void
    ) async throws -> SyncReport {
        try await run(resync: false, client: client, options: options, progress: progress, log: log)
    }

    /// Deletes everything this app stored in the Hub, forgets the checkpoint and delivers every
    /// matching commit again.
    ///
    /// The intent is recorded before the Hub is cleaned, so a resync that stops half-way is
    /// finished by the next sync or resync instead of leaving the Hub with part of the history.
    /// Other repositories synced from this machine notice the clean on their next sync and
    /// deliver their commits again too. Unlike a sync, a resync waits for another process.
    public func resync(
        client: HubClient,
        options: SyncOptions = SyncOptions(),
        progress: @escaping (SyncProgress) -> Void = { _ in },
        log: (String) -> Void
    ) async throws -> SyncReport {
        try await run(resync: true, client: client, options: options, progress: progress, log: log)
    }

    private func run(
        resync: Bool,
        client: HubClient,
        options: SyncOptions,
        progress: @escaping (SyncProgress) -> Void,
        log: (String) -> Void
    ) async throws -> SyncReport {
        let store = try CheckpointStore(path: checkpointPath)
        let lock = SyncLock(directory: stateDirectory)
        if resync {
            try lock.acquireWaiting()
            try store.setMeta("resync_started", ISO8601DateFormatter().string(from: Date()))
        } else if try !lock.requestAndTryAcquire() {
            var report = SyncReport(repositoryName: repositoryName)
            report.leftToOtherProcess = true
            return report
        }
        return try await passes(
            store: store,
            lock: lock,
            client: client,
            options: options,
            progress: progress,
            log: log
        )
    }

    /// Runs passes under the lock until no other process asks for one, recording the outcome.
    private func passes(
        store: CheckpointStore,
        lock: SyncLock,
        client: HubClient,
        options: SyncOptions,
        progress: @escaping (SyncProgress) -> Void,
        log: (String) -> Void
    ) async throws -> SyncReport {
        var report = SyncReport(repositoryName: repositoryName)
        do {
            repeat {
                report = try await pass(
                    store: store,
                    client: client,
                    options: options,
                    report: report,
                    progress: progress,
                    log: log
                )
            } while try lock.releaseAndCheckRequests() && !options.shouldStop()
            try? store.recordOutcome(error: nil)
            return report
        } catch {
            try? store.recordOutcome(error: String(describing: error))
            throw error
        }
    }

    /// One pass under the lock: finish a started resync, scan, place authors, empty the outbox.
    private func pass(
        store: CheckpointStore,
        client: HubClient,
        options: SyncOptions,
        report: SyncReport,
        progress: @escaping (SyncProgress) -> Void,
        log: (String) -> Void
    ) async throws -> SyncReport {
        let configuration = await client.configuration
        let hubState = HubState(configuration: configuration, environment: environment)
        try await resetIfCleaned(store: store, client: client, hubState: hubState, log: log)

        let delivery = Delivery(
            store: store,
            client: client,
            report: report,
            options: options,
            index: { try hubState.deliveredIndex() },
            progress: progress
        )
        let interrupted = try store.entries(in: .sending).map(\.commitID)
        if !interrupted.isEmpty {
            if options.atMostOnce {
                log("\(entries(interrupted.count)) sent without an answer: set aside (--at-most-once)")
                try store.markUnknown(interrupted)
            } else {
                log("\(entries(interrupted.count)) sent without an answer: sending again (the Hub may show them twice)")
                try store.markPending(interrupted)
            }
            delivery.report.interrupted += interrupted.count
        }

        var directory: EmployeeDirectory?
        if settings.companyMode {
            let employees = try await hubState.employees(maxAge: settings.employeeCacheAge) {
                try await client.employees()
            }
            directory = EmployeeDirectory(employees: employees, aliases: settings.employeeAliases)
        }

        let scan = try scanner.scan(previous: try store.lastScan(), isKnown: { try store.known($0) })
        delivery.report.commitsRead += scan.commitsRead
        if !scan.upToDate {
            let knownWork = try store.knownWork(scan.commits.map(\.workKey))
            let classified = try classify(scan.commits, knownWork: knownWork, directory: directory)
            delivery.report.queued += try store.recordScan(
                entries: classified,
                tips: scan.tips,
                fingerprint: scan.fingerprint
            )
        }
        if let directory {
            try promoteSkipped(store: store, directory: directory)
        }
        if options.retryRejected {
            try requeueRejected(store: store, directory: directory)
        }

        try await delivery.deliverOutbox()
        delivery.report.pending = try store.count(in: .pending)
        delivery.report.skippedAuthors = try store.skippedAuthors()
        return delivery.report
    }

    /// Finishes a started resync by cleaning the Hub, or forgets what was delivered when the Hub
    /// was cleaned since (by a resync of another repository).
    private func resetIfCleaned(
        store: CheckpointStore,
        client: HubClient,
        hubState: HubState,
        log: (String) -> Void
    ) async throws {
        if try store.meta("resync_started") != nil {
            // The clean is recorded for the other repositories before it is asked for: should
            // the record fail, nothing was deleted; should the clean fail, the other
            // repositories merely send again what the next attempt deletes once more.
            do {
                try hubState.recordClean(at: Date().timeIntervalSince1970)
            } catch {
                throw SyncError(
                    "cannot record the clean in \(hubState.directory) (\(describe(error))); nothing was deleted."
                        + " Make that directory writable, or set XDG_STATE_HOME to one that is."
                )
            }
            do {
                try await client.clean()
            } catch {
                throw SyncError("cleaning the Hub failed: \(error); the resync will be finished by the next run")
            }
            // From here on the Hub is empty and the checkpoint forgets everything, so the rest of
            // the resync is an ordinary sync from nothing, resumable through the outbox.
            let now = Date().timeIntervalSince1970
            try? hubState.recordClean(at: now)
            try store.forgetEverything(cleanedAt: now)
        } else if let cleaned = hubState.lastClean(), cleaned > Double(try store.meta("hub_cleaned_at") ?? "") ?? 0 {
            if try store.count(in: .delivered) > 0 {
                log("the Hub was cleaned by a resync since this repository was last synced; delivering it again")
            }
            try store.forgetEverything(cleanedAt: cleaned)
        }
    }

    /// Moves skipped commits whose author is now a known employee into the outbox.
    private func promoteSkipped(store: CheckpointStore, directory: EmployeeDirectory) throws {
        let placed = try store.entries(in: .skipped).compactMap { queued -> QueuedEntry? in
            guard let id = directory.employee(for: queued.authorEmail) else { return nil }
            var placed = queued
            placed.entry.employeeID = id
            return placed
        }
        if !placed.isEmpty { try store.requeue(placed) }
    }

    /// Rebuilds the entries the Hub refused, with the settings as they are now, and queues them.
    private func requeueRejected(store: CheckpointStore, directory: EmployeeDirectory?) throws {
        let rebuilt = try store.entries(in: .rejected).map { queued -> QueuedEntry in
            guard let id = ObjectID(hex: queued.commitID) else { return queued }
            var rebuilt = queued
            rebuilt.entry = try settings.entry(for: try repository.commit(id))
            if settings.companyMode {
                rebuilt.entry.employeeID = directory?.employee(for: queued.authorEmail) ?? queued.entry.employeeID
            }
            return rebuilt
        }
        if !rebuilt.isEmpty { try store.requeue(rebuilt) }
    }

    // MARK: - Status

    /// What the checkpoint holds, for `status`; nil when the repository was never synced.
    ///
    /// - Parameter hub: the Hub this repository syncs with; when given, the status says whether
    ///   a resync of another repository cleaned it since this one delivered.
    public func status(hub: HubConfiguration? = nil) throws -> RepositoryStatus? {
        guard FileManager.default.fileExists(atPath: checkpointPath) else { return nil }
        let store = try CheckpointStore(path: checkpointPath)
        let counts = try store.counts()
        var cleanedSince: Date?
        if let hub, let cleaned = HubState(configuration: hub, environment: environment).lastClean(),
            cleaned > Double(try store.meta("hub_cleaned_at") ?? "") ?? 0
        {
            cleanedSince = Date(timeIntervalSince1970: cleaned)
        }
        return RepositoryStatus(
            repository: repositoryName,
            path: displayPath,
            checkpoint: checkpointPath,
            delivered: counts[.delivered] ?? 0,
            pending: counts[.pending] ?? 0,
            skipped: counts[.skipped] ?? 0,
            rejected: counts[.rejected] ?? 0,
            unknownOutcome: (counts[.sending] ?? 0) + (counts[.unknown] ?? 0),
            rewritten: counts[.rewritten] ?? 0,
            lastSync: try store.meta("last_sync").flatMap(Double.init).map { Date(timeIntervalSince1970: $0) },
            lastError: try store.meta("last_error"),
            rejectedEntries: try store.reasons(in: .rejected).map {
                RepositoryStatus.Rejection(commit: $0.0, reason: $0.1)
            },
            skippedAuthors: try store.skippedAuthors().map {
                RepositoryStatus.SkippedAuthor(email: $0.0, commits: $0.1)
            },
            resyncUnfinished: try store.meta("resync_started") != nil,
            hubCleanedSince: cleanedSince
        )
    }
}

/// What one repository's checkpoint holds.
public struct RepositoryStatus: Encodable, Sendable {
    public struct Rejection: Encodable, Sendable {
        public var commit: String
        public var reason: String
    }

    public struct SkippedAuthor: Encodable, Sendable {
        public var email: String
        public var commits: Int
    }

    public var repository: String
    public var path: String
    public var checkpoint: String
    public var delivered: Int
    public var pending: Int
    public var skipped: Int
    public var rejected: Int
    /// Sent without an answer: either interrupted (sent again on the next sync) or set aside
    /// by `--at-most-once`.
    public var unknownOutcome: Int
    public var rewritten: Int
    public var lastSync: Date?
    public var lastError: String?
    public var rejectedEntries: [Rejection]
    public var skippedAuthors: [SkippedAuthor]
    public var resyncUnfinished: Bool
    /// When a resync of another repository cleaned the Hub after this one delivered: what it
    /// delivered is gone from the Hub until its next sync sends it again.
    public var hubCleanedSince: Date?
}
