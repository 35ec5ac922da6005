import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Something that happened to the daemon from outside its loop.
public enum DaemonEvent: Sendable, Equatable {
    /// SIGTERM or SIGINT.
    case stop
    /// SIGHUP.
    case reload
    /// A wait's time ran out.
    case timer
}

/// Collects the daemon's signals as events, for the loop to take between steps or wait for.
///
/// Signals are received by dispatch sources on a private queue (the default handlers are
/// turned off first), so no work happens in a signal handler. A second SIGTERM or SIGINT while
/// a stop is already pending ends the process at once, for a user who does not want to wait
/// for the batch in flight.
public final class DaemonInbox: @unchecked Sendable {
    // @unchecked Sendable: `events` and `waiter` are only touched with `lock` held.
    private let lock = NSLock()
    private var events: [DaemonEvent] = []
    private var waiter: (token: Int, continuation: CheckedContinuation<DaemonEvent, Never>)?
    private var nextToken = 0
    private var stopsReceived = 0
    private var stopHandler: (@Sendable () -> Void)?
    private let queue = DispatchQueue(label: "worktrail-git.daemon.signals")
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Starts receiving SIGTERM, SIGINT and SIGHUP.
    public func listenForSignals() {
        for (number, event) in [(SIGTERM, DaemonEvent.stop), (SIGINT, .stop), (SIGHUP, .reload)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.receive(event) }
            source.resume()
            sources.append(source)
        }
    }

    private func receive(_ event: DaemonEvent) {
        if event == .stop {
            let (repeated, handler) = lock.withLock {
                stopsReceived += 1
                return (stopsReceived > 1, stopHandler)
            }
            if repeated {
                FileHandle.standardError.write(
                    Data("worktrail-git: stopping at once; an unanswered batch is sent again next time\n".utf8)
                )
                exit(0)
            }
            handler?()
        }
        post(event)
    }

    /// Runs `handler` when a stop arrives (at once if one already has), to cut short work in
    /// progress such as a request the Hub does not answer; nil removes it.
    public func whenStopped(_ handler: (@Sendable () -> Void)?) {
        let runNow = lock.withLock {
            stopHandler = handler
            return stopsReceived > 0
        }
        if runNow { handler?() }
    }

    /// Adds an event, waking a waiting loop.
    public func post(_ event: DaemonEvent) {
        let continuation: CheckedContinuation<DaemonEvent, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter.continuation
            }
            events.append(event)
            return nil
        }
        continuation?.resume(returning: event)
    }

    /// Whether SIGTERM or SIGINT arrived; safe to ask from any thread, between two batches say.
    public var stopRequested: Bool {
        lock.withLock { stopsReceived > 0 }
    }

    /// The events that arrived since the last call, oldest first, without waiting.
    public func takeAll() -> [DaemonEvent] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }

    /// The next event, waiting at most `seconds`; `.timer` when the time ran out first.
    public func next(within seconds: Double) async -> DaemonEvent {
        await withCheckedContinuation { continuation in
            let (ready, token): (DaemonEvent?, Int) = lock.withLock {
                if !events.isEmpty { return (events.removeFirst(), 0) }
                nextToken += 1
                waiter = (nextToken, continuation)
                return (nil, nextToken)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            queue.asyncAfter(deadline: .now() + max(0, seconds)) { [weak self] in
                self?.timeOut(token)
            }
        }
    }

    private func timeOut(_ token: Int) {
        let continuation: CheckedContinuation<DaemonEvent, Never>? = lock.withLock {
            guard let waiter, waiter.token == token else { return nil }
            self.waiter = nil
            return waiter.continuation
        }
        continuation?.resume(returning: .timer)
    }
}
