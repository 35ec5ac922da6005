import Testing
import WorkTrailDaemon

@Suite("Daemon lifecycle")
struct DaemonStateMachineTests {
    // MARK: - Passes and waits

    @Test func firstPassRunsAtOnceThenWaitsTheInterval() {
        var machine = DaemonStateMachine(interval: 60)
        #expect(machine.start() == .runPass)
        #expect(machine.nextRepository == .deliver)
        #expect(machine.passFinished() == .wait(seconds: 60))
        #expect(machine.state == .idle)
        #expect(machine.timerFired() == .runPass)
        #expect(machine.state == .scanning(hubFailed: false))
    }

    @Test func onceExitsAfterOnePass() {
        var machine = DaemonStateMachine(interval: 60, once: true)
        #expect(machine.start() == .runPass)
        #expect(machine.passFinished() == .exit)
        #expect(machine.state == .stopped)
    }

    // MARK: - Backoff

    /// After the Hub failed, the rest of the pass only queues, and the waits double up to the cap.
    @Test func hubFailureQueuesTheRestAndBacksOffExponentially() {
        var machine = DaemonStateMachine(interval: 10, maximumBackoff: 50)
        _ = machine.start()
        machine.hubFailed()
        #expect(machine.nextRepository == .queueOnly)
        #expect(machine.passFinished() == .wait(seconds: 10))
        #expect(machine.state == .backingOff(failures: 1))

        var waits: [DaemonStateMachine.Action] = []
        for _ in 0..<4 {
            #expect(machine.timerFired() == .runPass)
            #expect(machine.nextRepository == .deliver)
            machine.hubFailed()
            waits.append(machine.passFinished())
        }
        #expect(waits == [.wait(seconds: 20), .wait(seconds: 40), .wait(seconds: 50), .wait(seconds: 50)])
        #expect(machine.consecutiveFailures == 5)
    }

    @Test func aGoodPassEndsTheBackoff() {
        var machine = DaemonStateMachine(interval: 10)
        _ = machine.start()
        machine.hubFailed()
        _ = machine.passFinished()
        _ = machine.timerFired()
        machine.hubFailed()
        #expect(machine.passFinished() == .wait(seconds: 20))
        _ = machine.timerFired()
        #expect(machine.passFinished() == .wait(seconds: 10))
        #expect(machine.state == .idle)
        #expect(machine.consecutiveFailures == 0)
    }

    @Test func theCapIsNeverBelowTheInterval() {
        let machine = DaemonStateMachine(interval: 600, maximumBackoff: 60)
        #expect(machine.backoffDelay(failures: 1) == 600)
        #expect(machine.backoffDelay(failures: 9) == 600)
        #expect(DaemonStateMachine(interval: 1).backoffDelay(failures: 1000) == 3600)
    }

    // MARK: - Signals

    /// A stop during a pass lets the repository in hand finish, skips the rest, then exits.
    @Test func stopDuringAPassFinishesTheRepositoryInHand() {
        var machine = DaemonStateMachine(interval: 60)
        _ = machine.start()
        #expect(machine.stopRequested() == .none)
        #expect(machine.state == .stopping)
        #expect(machine.nextRepository == .skip)
        #expect(machine.passFinished() == .exit)
        #expect(machine.state == .stopped)
    }

    @Test func stopWhileWaitingExitsAtOnce() {
        var idle = DaemonStateMachine(interval: 60)
        _ = idle.start()
        _ = idle.passFinished()
        #expect(idle.stopRequested() == .exit)

        var backingOff = DaemonStateMachine(interval: 60)
        _ = backingOff.start()
        backingOff.hubFailed()
        _ = backingOff.passFinished()
        #expect(backingOff.stopRequested() == .exit)
        #expect(backingOff.stopRequested() == .none)
    }

    @Test func reloadWhileWaitingReadsTheConfigurationAndRunsAPass() {
        var machine = DaemonStateMachine(interval: 60)
        _ = machine.start()
        _ = machine.passFinished()
        #expect(machine.reloadRequested() == .reloadConfiguration)
        #expect(machine.configurationReloaded() == .runPass)
        #expect(machine.state == .scanning(hubFailed: false))
    }

    @Test func reloadDuringAPassWaitsForItsEnd() {
        var machine = DaemonStateMachine(interval: 60)
        _ = machine.start()
        #expect(machine.reloadRequested() == .none)
        #expect(machine.nextRepository == .deliver)
        #expect(machine.passFinished() == .reloadConfiguration)
        #expect(machine.configurationReloaded() == .runPass)
    }

    @Test func stopWinsOverAPendingReload() {
        var machine = DaemonStateMachine(interval: 60)
        _ = machine.start()
        _ = machine.reloadRequested()
        _ = machine.stopRequested()
        #expect(machine.passFinished() == .exit)
    }
}
