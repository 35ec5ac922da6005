import WorkTrailHub

/// Empties a repository's outbox into the Hub, one batch at a time, recording each batch
/// before it is sent and again when the answer arrives.
///
/// Entries are marked "sending" in the checkpoint before their request leaves. Should the
/// process die before the answer is recorded, the next run finds them so and knows their
/// outcome is unknown; nothing else can be sent twice.
final class Delivery {
    let store: CheckpointStore
    let client: HubClient
    let options: SyncOptions
    let progress: (SyncProgress) -> Void
    /// What this machine delivered to the Hub from other repositories too, opened only when
    /// there is something to send; nil when it cannot be opened, which only costs the
    /// protection against a second clone's duplicates.
    private lazy var index: DeliveredIndex? = try? openIndex()
    private let openIndex: () throws -> DeliveredIndex
    var report: SyncReport
    private var total = 0
    private var sent = 0

    init(
        store: CheckpointStore,
        client: HubClient,
        report: SyncReport,
        options: SyncOptions,
        index: @escaping () throws -> DeliveredIndex,
        progress: @escaping (SyncProgress) -> Void
    ) {
        self.openIndex = index
        self.store = store
        self.client = client
        self.report = report
        self.options = options
        self.progress = progress
    }

    /// Sends the outbox in batches, oldest first.
    func deliverOutbox() async throws {
        total = try store.count(in: .pending)
        while !options.shouldStop() {
            var batch = try store.pending(limit: options.batchSize)
            if batch.isEmpty { return }
            if let index {
                let elsewhere = try index.alreadyDelivered(batch)
                if !elsewhere.isEmpty {
                    // Delivered from another clone of the repository: the same work, no new entry.
                    try store.markRewritten(elsewhere.map(\.commitID))
                    report.deliveredElsewhere += elsewhere.count
                    let skip = Set(elsewhere.map(\.commitID))
                    batch.removeAll { skip.contains($0.commitID) }
                    total -= elsewhere.count
                    if batch.isEmpty { continue }
                }
            }
            try await send(batch)
            progress(SyncProgress(delivered: sent, total: total))
        }
    }

    /// Sends one batch. A batch the Hub refuses as invalid is split in halves until the entries
    /// at fault are alone, so that one bad entry does not hold back the others.
    private func send(_ batch: [QueuedEntry]) async throws {
        let commitIDs = batch.map(\.commitID)
        try store.markSending(commitIDs, batch: try store.nextBatchNumber())
        let result: Result<[Int?], HubError>
        do {
            result = .success(
                try await client.create(batch.map(\.entry), retryWhenOutcomeUnknown: !options.atMostOnce)
            )
        } catch {
            result = .failure(error)
        }

        switch result {
        case .success(let ids):
            try record(ids, for: batch)
        case .failure(let error) where error.isInvalidModel && batch.count == 1:
            try store.markRejected(commitIDs, reason: error.description)
            report.rejected.append((commitIDs[0], error.description))
            sent += 1
        case .failure(let error) where error.isInvalidModel:
            try store.markPending(commitIDs)
            let half = batch.count / 2
            try await send(Array(batch[..<half]))
            try await send(Array(batch[half...]))
        case .failure(let error) where error.outcomeUnknown:
            if options.atMostOnce {
                try store.markUnknown(commitIDs)
                throw SyncError(
                    "\(error); \(entries(batch.count)) may or may not have been stored (set aside: --at-most-once)"
                )
            }
            // Left as "sending": the next run sends them again, and says so.
            throw SyncError("\(error); \(entries(batch.count)) may or may not have been stored and will be sent again")
        case .failure(let error):
            try store.markPending(commitIDs)
            throw SyncError(
                "\(error); \(entries(batch.count)) \(batch.count == 1 ? "stays" : "stay")"
                    + " in the outbox for the next run"
            )
        }
    }

    /// Records the ids the Hub gave; entries without one go back to the outbox.
    private func record(_ ids: [Int?], for batch: [QueuedEntry]) throws {
        let commitIDs = batch.map(\.commitID)
        let delivered = zip(commitIDs, ids).compactMap { commit, id in id.map { (commitID: commit, hubID: $0) } }
        try store.markDelivered(delivered)
        let deliveredIDs = Set(delivered.map(\.commitID))
        try? index?.add(batch.filter { deliveredIDs.contains($0.commitID) })
        report.delivered += delivered.count
        sent += delivered.count
        guard delivered.count < commitIDs.count else { return }
        let missing = Set(commitIDs).subtracting(delivered.map(\.commitID))
        try store.markPending(Array(missing))
        throw SyncError(
            "the Hub returned ids for \(delivered.count) of \(commitIDs.count) entries;"
                + " the other \(missing.count) stay in the outbox for the next run"
        )
    }
}

/// "1 entry", "3 entries", for messages.
func entries(_ count: Int) -> String {
    count == 1 ? "1 entry" : "\(count) entries"
}
