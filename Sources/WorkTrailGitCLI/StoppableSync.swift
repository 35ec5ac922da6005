import Foundation
import GitSync
import WorkTrailDaemon
import WorkTrailHub

/// Hands a repository to the task that syncs it while the caller awaits that task.
// @unchecked Sendable: the caller does not touch the repository until the task has ended, so
// it is only ever used by one task at a time.
final class SyncJob: @unchecked Sendable {
    let sync: RepositorySync

    init(sync: RepositorySync) {
        self.sync = sync
    }
}

/// How long a stop waits for the request in flight before abandoning it, in seconds.
let stopGrace = 5.0

/// Runs a sync that a SIGTERM or SIGINT stops cleanly: no batch starts after the signal, the
/// batch in flight is awaited for at most `stopGrace` seconds and then abandoned (it counts as
/// sent without an answer and goes out again next time), and no retry is waited for.
func stoppableSync(
    _ sync: RepositorySync,
    client: HubClient,
    options: SyncOptions,
    inbox: DaemonInbox,
    progress: @escaping @Sendable (SyncProgress) -> Void = { _ in },
    log: @escaping @Sendable (String) -> Void
) async throws -> SyncReport {
    var options = options
    options.shouldStop = { inbox.stopRequested }
    let job = SyncJob(sync: sync)
    let stoppable = options
    let work = Task {
        try await job.sync.sync(client: client, options: stoppable, progress: progress, log: log)
    }
    inbox.whenStopped {
        DispatchQueue.global().asyncAfter(deadline: .now() + stopGrace) { work.cancel() }
    }
    defer { inbox.whenStopped(nil) }
    return try await work.value
}
