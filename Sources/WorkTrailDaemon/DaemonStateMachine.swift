/// The daemon's lifecycle as a value: what it is doing, and what it should do next.
///
/// It performs no I/O. The daemon's loop feeds it events (a timer fired, a pass ended, a signal
/// arrived) and carries out the action each method returns, so every transition can be tested
/// on its own:
///
/// ```
/// idle ──timer──▶ scanning ──pass ok──▶ idle (wait interval)
///                    │ └──Hub failed──▶ backingOff(n) ──timer──▶ scanning
///                    │                  (waits interval·2ⁿ⁻¹, capped)
///                    └──stop──▶ stopping (finish the batch in flight) ──pass ends──▶ exit
/// ```
public struct DaemonStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Waiting for the next pass.
        case idle
        /// Going through the repositories. `hubFailed` is set once a delivery failed in this pass.
        case scanning(hubFailed: Bool)
        /// Waiting longer than usual after `failures` passes in a row in which the Hub failed.
        case backingOff(failures: Int)
        /// A stop was asked for during a pass: the repository in hand is finished, then the daemon exits.
        case stopping
        /// Done; nothing more happens.
        case stopped
    }

    /// What the daemon's loop should do next.
    public enum Action: Sendable, Equatable {
        /// Go through the repositories now.
        case runPass
        /// Wait for the next event, at most this many seconds.
        case wait(seconds: Double)
        /// Read the configuration again, then report `configurationReloaded()`.
        case reloadConfiguration
        /// End the process with status 0.
        case exit
        /// Nothing to do now; carry on with what was in progress.
        case none
    }

    /// How the next repository of a pass is handled.
    public enum DeliveryMode: Sendable, Equatable {
        /// Scan it and deliver its outbox.
        case deliver
        /// Scan it and queue its entries only: the Hub already failed in this pass.
        case queueOnly
        /// Leave it: the daemon is stopping.
        case skip
    }

    public private(set) var state: State = .idle
    /// Seconds between passes while the Hub works.
    public var interval: Double
    /// The longest wait between passes while the Hub fails (never shorter than `interval`).
    public let maximumBackoff: Double
    /// Whether the daemon makes one pass and exits (`--once`).
    public let once: Bool
    /// Passes in a row in which the Hub failed.
    public private(set) var consecutiveFailures = 0
    /// A reload asked for during a pass, carried out when the pass ends.
    private var reloadPending = false

    public init(interval: Double, maximumBackoff: Double = 3600, once: Bool = false) {
        self.interval = interval
        self.maximumBackoff = max(interval, maximumBackoff)
        self.once = once
    }

    /// The daemon has started: the first pass runs at once.
    public mutating func start() -> Action {
        state = .scanning(hubFailed: false)
        return .runPass
    }

    /// The wait ended because its time was up.
    public mutating func timerFired() -> Action {
        passIfWaiting()
    }

    /// How to handle the next repository of the pass in progress.
    public var nextRepository: DeliveryMode {
        switch state {
        case .scanning(let hubFailed): hubFailed ? .queueOnly : .deliver
        case .idle, .backingOff, .stopping, .stopped: .skip
        }
    }

    /// A repository's delivery failed because of the Hub: the rest of the pass only queues.
    public mutating func hubFailed() {
        if case .scanning = state { state = .scanning(hubFailed: true) }
    }

    /// The pass ended (completely, or early because of a stop).
    public mutating func passFinished() -> Action {
        switch state {
        case .scanning(let hubFailed):
            consecutiveFailures = hubFailed ? consecutiveFailures + 1 : 0
            if once {
                state = .stopped
                return .exit
            }
            if reloadPending {
                reloadPending = false
                state = hubFailed ? .backingOff(failures: consecutiveFailures) : .idle
                return .reloadConfiguration
            }
            return settle()
        case .stopping:
            state = .stopped
            return .exit
        case .idle, .backingOff, .stopped:
            return .none
        }
    }

    /// SIGTERM or SIGINT: exit now when waiting, or after the repository in hand during a pass.
    public mutating func stopRequested() -> Action {
        switch state {
        case .idle, .backingOff:
            state = .stopped
            return .exit
        case .scanning:
            state = .stopping
            return .none
        case .stopping, .stopped:
            return .none
        }
    }

    /// SIGHUP: read the configuration again now when waiting, or when the pass in progress ends.
    public mutating func reloadRequested() -> Action {
        switch state {
        case .idle, .backingOff:
            return .reloadConfiguration
        case .scanning:
            reloadPending = true
            return .none
        case .stopping, .stopped:
            return .none
        }
    }

    /// The configuration was read again (whether or not it changed): a pass runs at once, so
    /// that new repositories are picked up without waiting for the interval.
    public mutating func configurationReloaded() -> Action {
        passIfWaiting()
    }

    /// Starts a pass when the daemon is waiting (idle or backing off); nothing otherwise.
    private mutating func passIfWaiting() -> Action {
        switch state {
        case .idle, .backingOff:
            state = .scanning(hubFailed: false)
            return .runPass
        case .scanning, .stopping, .stopped:
            return .none
        }
    }

    /// The wait after `failures` passes in a row in which the Hub failed: the interval, doubled
    /// for each failure after the first, capped at `maximumBackoff`.
    public func backoffDelay(failures: Int) -> Double {
        guard failures > 1 else { return interval }
        let doublings = Double(min(failures - 1, 32))
        return min(interval * pow2(doublings), maximumBackoff)
    }

    private mutating func settle() -> Action {
        if consecutiveFailures > 0 {
            state = .backingOff(failures: consecutiveFailures)
            return .wait(seconds: backoffDelay(failures: consecutiveFailures))
        }
        state = .idle
        return .wait(seconds: interval)
    }

    /// The wait that goes with the current idle or backoff state, for the loop to resume after
    /// an event that did not end the wait.
    public var currentWait: Double {
        if case .backingOff(let failures) = state { return backoffDelay(failures: failures) }
        return interval
    }
}

/// 2 to the power `exponent`, for whole exponents, without Foundation.
private func pow2(_ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= 2 }
    return result
}
