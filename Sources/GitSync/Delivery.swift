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

    /// Sends one batch and records what became of each entry. The client splits a batch the
    /// Hub refuses as invalid until the entries at fault are alone, so one bad entry does not
    /// hold back the others.
    private func send(_ batch: [QueuedEntry]) async throws {
        try store.markSending(batch.map(\.commitID), batch: try store.nextBatchNumber())
        let outcomes = await client.deliver(
            batch.map(\.entry),
            batchSize: batch.count,
            retryWhenOutcomeUnknown: !options.atMostOnce
        ).outcomes

        var delivered: [(commitID: String, hubID: Int)] = []
        var unsent: [String] = []
        var unanswered: [String] = []
        var failure: HubError?
        for (queued, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .delivered(let id):
                delivered.append((queued.commitID, id))
            case .refused(let error):
                try store.markRejected([queued.commitID], reason: error.description)
                report.rejected.append((queued.commitID, error.description))
                sent += 1
            case .notDelivered(let error):
                unsent.append(queued.commitID)
                failure = failure ?? error
            case .outcomeUnknown(let error):
                unanswered.append(queued.commitID)
                failure = failure ?? error
            }
        }
        try record(delivered, of: batch)
        try store.markPending(unsent)
        if options.atMostOnce { try store.markUnknown(unanswered) }

        // Unanswered entries stay "sending" by default: the next run sends them again, and says so.
        guard let failure else { return }
        if !unanswered.isEmpty {
            let fate = options.atMostOnce ? "(set aside: --at-most-once)" : "and will be sent again"
            throw SyncError("\(failure); \(entries(unanswered.count)) may or may not have been stored \(fate)")
        }
        let stay = unsent.count == 1 ? "stays" : "stay"
        throw SyncError("\(failure); \(entries(unsent.count)) \(stay) in the outbox for the next run")
    }

    /// Records the ids the Hub gave, in the checkpoint and in this machine's delivered index.
    private func record(_ delivered: [(commitID: String, hubID: Int)], of batch: [QueuedEntry]) throws {
        try store.markDelivered(delivered)
        let deliveredIDs = Set(delivered.map(\.commitID))
        try? index?.add(batch.filter { deliveredIDs.contains($0.commitID) })
        report.delivered += delivered.count
        sent += delivered.count
    }
}

/// "1 entry", "3 entries", for messages.
func entries(_ count: Int) -> String {
    count == 1 ? "1 entry" : "\(count) entries"
}
