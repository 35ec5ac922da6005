import Foundation

extension RepositorySync {
    /// Scans for new commits and queues their entries in the outbox, without talking to the Hub.
    ///
    /// This is what a hook or the daemon does when no credentials are set: the scan is the
    /// costly part and is recorded, and a later `sync` delivers the outbox. Like `sync`, it
    /// leaves a request and returns at once with `leftToOtherProcess` set when another process
    /// holds the repository's lock, since that process scans again before it stops.
    ///
    /// - Returns: the commits read, the entries queued, and the entries waiting in the outbox.
    /// - Throws: `CheckpointError` when the checkpoint cannot be used, `GitError` when the scan fails.
    public func queueOnly() throws -> SyncReport {
        var report = SyncReport(repositoryName: repositoryName)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let lock = SyncLock(directory: stateDirectory)
        guard try lock.requestAndTryAcquire() else {
            report.leftToOtherProcess = true
            return report
        }
        // Opened under the lock, so that two hooks of a fresh repository do not both create it.
        let store = try CheckpointStore(path: checkpointPath)
        repeat {
            let scan = try scanner.scan(previous: try store.lastScan(), isKnown: { try store.known($0) })
            report.commitsRead += scan.commitsRead
            if !scan.upToDate {
                // Without the Hub there is no employee list: in company mode the entries wait as
                // skipped, and the next sync places them in the outbox.
                let knownWork = try store.knownWork(scan.commits.map(\.workKey))
                let classified = try classify(scan.commits, knownWork: knownWork, directory: nil)
                report.queued += try store.recordScan(
                    entries: classified,
                    tips: scan.tips,
                    fingerprint: scan.fingerprint
                )
            }
        } while try lock.releaseAndCheckRequests()
        report.pending = try store.count(in: .pending)
        return report
    }

    /// Whether a rebase is stopped or running in the worktree this was opened from (git keeps
    /// `rebase-merge` or `rebase-apply` in the worktree's own git directory meanwhile).
    public var isRebasing: Bool {
        ["rebase-merge", "rebase-apply"].contains {
            FileManager.default.fileExists(atPath: (repository.gitDirectory as NSString).appendingPathComponent($0))
        }
    }

    /// The git directory shared by every worktree of the repository; two paths naming the same
    /// repository (or two of its worktrees) have the same one.
    public var commonDirectory: String { repository.commonDirectory }
}
