import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps two processes from delivering the same repository's outbox at once, and makes sure
/// that a process that finds the work taken still gets its commits scanned.
///
/// A process that wants to sync first leaves a request file, then tries the lock without
/// waiting. The holder removes the request when it takes the lock, before it scans, and
/// looks for a new request after it lets go, taking the lock again if there is one. So a
/// commit is always covered by a scan that starts after it, and a burst of hooks (a rebase
/// rewriting fifty commits) costs one or two passes instead of fifty.
final class SyncLock {
    private let lockPath: String
    private let requestPath: String
    private var descriptor: Int32 = -1

    init(directory: String) {
        lockPath = (directory as NSString).appendingPathComponent("sync.lock")
        requestPath = (directory as NSString).appendingPathComponent("sync.requested")
    }

    deinit {
        release()
    }

    /// Leaves a request and tries to take the lock; false when another process holds it (that
    /// process will see the request and scan again).
    func requestAndTryAcquire() throws -> Bool {
        _ = FileManager.default.createFile(atPath: requestPath, contents: nil)
        return try tryAcquire()
    }

    /// Waits until the lock is free and takes it (for a one-off resync that must not be skipped).
    func acquireWaiting() throws {
        try open()
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        try? FileManager.default.removeItem(atPath: requestPath)
    }

    /// Lets go of the lock; true when a request arrived meanwhile and the lock was taken again.
    func releaseAndCheckRequests() throws -> Bool {
        release()
        guard FileManager.default.fileExists(atPath: requestPath) else { return false }
        return try tryAcquire()
    }

    private func tryAcquire() throws -> Bool {
        try open()
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK { return false }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        try? FileManager.default.removeItem(atPath: requestPath)
        return true
    }

    private func open() throws {
        guard descriptor < 0 else { return }
        descriptor = systemOpen(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }
}

/// `open(2)`, named apart from the method above.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
