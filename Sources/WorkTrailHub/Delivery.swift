/// What became of one entry handed to `HubClient.deliver`.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Stored, with the Hub's id for it.
    case delivered(id: Int)
    /// The entry itself is invalid (the client's check or the Hub's `invalid-model`): sending it
    /// again unchanged cannot succeed.
    case refused(HubError)
    /// Not stored: the Hub gave no id for it, refused the request, or could not be reached,
    /// or the entry was not sent because an earlier batch failed this way. Safe to send again.
    case notDelivered(HubError)
    /// The request carrying it may or may not have been stored; sending it again may store it
    /// twice.
    case outcomeUnknown(HubError)

    /// The Hub's id, for a delivered entry.
    public var id: Int? {
        if case .delivered(let id) = self { return id }
        return nil
    }
}

/// What `HubClient.deliver` did with a list of entries.
public struct DeliveryReport: Sendable, Equatable {
    /// One outcome per entry, in the order the entries were given.
    public var outcomes: [DeliveryOutcome]
    /// Create requests answered, split batches included (retries not counted).
    public var requests: Int

    /// The number of entries stored.
    public var deliveredCount: Int { outcomes.reduce(0) { $0 + ($1.id == nil ? 0 : 1) } }

    /// Whether every entry was stored.
    public var isComplete: Bool { deliveredCount == outcomes.count }
}

extension HubClient {
    /// Delivers any number of entries in batches, and says what became of each.
    ///
    /// Entries that fail the client's check are refused without being sent. A batch the Hub
    /// rejects as invalid is split in halves until each entry at fault is alone, so one bad
    /// entry does not hold back the others. Any other failure ends the delivery: the failed
    /// batch and every later entry are reported as not delivered (or of unknown outcome), and
    /// nothing more is sent, because a Hub that is down or refusing the credentials would fail
    /// them the same way.
    ///
    /// - Parameters:
    ///   - entries: the entries to deliver.
    ///   - batchSize: entries per request; nil for `configuration.batchSize`.
    ///   - retryWhenOutcomeUnknown: whether a batch that timed out or lost its connection is sent
    ///     again (which may store it twice); pass false for at-most-once.
    ///   - options: a timeout or retry policy for each request.
    /// - Returns: one outcome per entry, in order.
    public func deliver(
        _ entries: [HubEntry],
        batchSize: Int? = nil,
        retryWhenOutcomeUnknown: Bool = true,
        options: RequestOptions = RequestOptions()
    ) async -> DeliveryReport {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: entries.count)
        var sendable: [Int] = []
        // Checked once here; the batches below go out as checked, without a second check.
        var checked = entries
        for (index, entry) in entries.enumerated() {
            do {
                checked[index] = try entry.validated(by: configuration.entryRules)
                sendable.append(index)
            } catch {
                outcomes[index] = .refused(.invalidEntry(index: index, problem: error))
            }
        }

        var requests = 0
        var stop: HubError?
        let size = max(1, batchSize ?? configuration.batchSize)
        let batches = stride(from: 0, to: sendable.count, by: size).map {
            Array(sendable[$0..<min($0 + size, sendable.count)])
        }
        // Each batch is encoded while the one before it is on its way, so that the client's
        // work overlaps the Hub's.
        let prepare = { (batch: [Int]) in
            Task.detached { [checked] in try? HubClient.createData(batch.map { checked[$0] }) }
        }
        var encoding = batches.first.map(prepare)
        for (number, batch) in batches.enumerated() {
            let data = await encoding?.value
            encoding = number + 1 < batches.count ? prepare(batches[number + 1]) : nil
            stop = await send(
                batch,
                of: checked,
                data: data,
                into: &outcomes,
                requests: &requests,
                retryWhenOutcomeUnknown: retryWhenOutcomeUnknown,
                options: options
            )
            if stop != nil { break }
        }
        encoding?.cancel()
        // Entries left without an outcome were not sent because of `stop`. (A loop rather than
        // `map`: the closure form crashes the Swift 6.3 optimizer in release builds.)
        let unsent = DeliveryOutcome.notDelivered(stop ?? .cancelled)
        var final: [DeliveryOutcome] = []
        final.reserveCapacity(outcomes.count)
        for outcome in outcomes {
            final.append(outcome ?? unsent)
        }
        return DeliveryReport(outcomes: final, requests: requests)
    }

    /// Sends the entries at `indices`, splitting on `invalid-model`; returns the failure that
    /// should stop the delivery, if any.
    private func send(
        _ indices: [Int],
        of entries: [HubEntry],
        data: String? = nil,
        into outcomes: inout [DeliveryOutcome?],
        requests: inout Int,
        retryWhenOutcomeUnknown: Bool,
        options: RequestOptions
    ) async -> HubError? {
        let ids: [Int?]
        do {
            ids = try await create(
                validated: indices.map { entries[$0] },
                data: data,
                retryWhenOutcomeUnknown: retryWhenOutcomeUnknown,
                options: options
            )
            requests += 1
        } catch  where error.isInvalidModel {
            requests += 1
            guard indices.count > 1 else {
                outcomes[indices[0]] = .refused(Self.renumbered(error, index: indices[0]))
                return nil
            }
            let half = indices.count / 2
            for part in [Array(indices[..<half]), Array(indices[half...])] {
                let stop = await send(
                    part,
                    of: entries,
                    into: &outcomes,
                    requests: &requests,
                    retryWhenOutcomeUnknown: retryWhenOutcomeUnknown,
                    options: options
                )
                if let stop { return stop }
            }
            return nil
        } catch {
            requests += 1
            for index in indices {
                outcomes[index] = error.outcomeUnknown ? .outcomeUnknown(error) : .notDelivered(error)
            }
            return error
        }

        let missing = HubError.incompleteCreated(sent: indices.count, identified: ids.lazy.compactMap { $0 }.count)
        for (index, id) in zip(indices, ids) {
            outcomes[index] = id.map { .delivered(id: $0) } ?? .notDelivered(missing)
        }
        return nil
    }

    /// An `invalidEntry` error numbered by the entry's place in the whole delivery rather than
    /// in its batch.
    private static func renumbered(_ error: HubError, index: Int) -> HubError {
        if case .invalidEntry(_, let problem) = error { return .invalidEntry(index: index, problem: problem) }
        return error
    }
}
