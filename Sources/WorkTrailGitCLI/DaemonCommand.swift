import Foundation
import GitSync
import WorkTrailDaemon
import WorkTrailHub

/// `worktrail-git daemon`: syncs many repositories at an interval until stopped.
struct DaemonCommand {
    static let usage = """
        usage: worktrail-git daemon [--repo PATH]... [--interval SECONDS] [--once] [--verbose]
                                    [--config FILE] [--all-authors] [--hub-url URL]
                                    [--batch-size N] [--allow-insecure-http]

        Syncs, at an interval, the repositories given with --repo, those listed in the
        configuration file, and those found under its root directories. While the Hub fails it
        waits longer between passes (doubling, up to an hour) and only queues. SIGTERM or
        SIGINT stops it after the repository in hand (a second one stops it at once); SIGHUP
        reads the configuration again. It logs one line per pass and per repository that had
        work, and nothing when there was none.

          --repo PATH         a repository (repeatable)
          --interval SECONDS  time between passes (default: the file's interval, else 300)
          --once              make one pass and exit: 0 when everything went through, else 1
          --verbose           log every pass and every repository, with or without work
          --config FILE       the configuration file (default:
                              $XDG_CONFIG_HOME/worktrail-git/daemon.conf, or
                              ~/.config/worktrail-git/daemon.conf)

        The configuration file holds lines 'repo = PATH', 'root = DIR' (searched for
        repositories), 'depth = N' (levels searched below each root, 1 to 8, default 3) and
        'interval = SECONDS'; '#' starts a comment.
        """

    static let defaultInterval = 300.0

    let options: RepositoryOptions
    let repositories: [String]
    let interval: Double?
    let once: Bool
    let verbose: Bool
    let configurationPath: String
    let environment: [String: String]

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: RepositoryOptions.flags.union(["--once", "--verbose"]),
            options: RepositoryOptions.options.union(["--interval", "--config"])
        )
        options = try RepositoryOptions(parsed, environment: environment)
        repositories = parsed.all("--repo")
        if let text = parsed.value("--interval") {
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw UsageError("--interval takes a number of seconds above 0, not '\(text)'")
            }
            interval = seconds
        } else {
            interval = nil
        }
        once = parsed.has("--once")
        verbose = parsed.has("--verbose")
        configurationPath = parsed.value("--config") ?? DaemonConfiguration.defaultPath(environment: environment)
        self.environment = environment
    }

    func run(console: Console) async throws {
        let configuration = try loadConfiguration()
        if repositories.isEmpty && configuration.repositories.isEmpty && configuration.roots.isEmpty {
            throw UsageError("the daemon has no repositories: give --repo PATH, or list them in \(configurationPath)")
        }
        let runner = DaemonRunner(
            command: self,
            configuration: configuration,
            credentials: try options.hub.credentials()
        )
        let inbox = DaemonInbox()
        inbox.listenForSignals()
        let succeeded = await runner.run(inbox: inbox)
        if once && !succeeded { throw ExitStatus(code: 1) }
    }

    func loadConfiguration() throws -> DaemonConfiguration {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return try DaemonConfiguration.load(path: configurationPath, home: home)
    }
}

/// The daemon's loop: carries out what `DaemonStateMachine` asks for, and does the I/O.
final class DaemonRunner {
    private let command: DaemonCommand
    private var configuration: DaemonConfiguration
    private var credentials: HubCredentials?
    private var machine: DaemonStateMachine
    private var clients: [URL: HubClient] = [:]
    /// The last problem logged per repository or root, so a lasting one is logged once.
    private var knownProblems: [String: String] = [:]
    private var passNumber = 0
    /// Whether the last pass went through without a failure (the exit status of `--once`).
    private var lastPassSucceeded = true
    /// systemd's journal stamps each line itself.
    private let stampsLines: Bool

    init(command: DaemonCommand, configuration: DaemonConfiguration, credentials: HubCredentials?) {
        self.command = command
        self.configuration = configuration
        self.credentials = credentials
        self.machine = DaemonStateMachine(
            interval: command.interval ?? configuration.interval ?? DaemonCommand.defaultInterval,
            once: command.once
        )
        stampsLines = command.environment["JOURNAL_STREAM"] == nil
    }

    /// Runs until stopped (or after one pass with `--once`); true when the last pass had no failure.
    func run(inbox: DaemonInbox) async -> Bool {
        if credentials == nil {
            log(HubSetup.noCredentials("scanning and queueing only"))
        }
        var action = machine.start()
        while true {
            switch action {
            case .runPass:
                await pass(inbox: inbox)
                action = machine.passFinished()
            case .wait(let seconds):
                action = handle(await inbox.next(within: seconds))
            case .reloadConfiguration:
                reload()
                action = machine.configurationReloaded()
            case .none:
                action = .wait(seconds: machine.currentWait)
            case .exit:
                return lastPassSucceeded
            }
        }
    }

    private func handle(_ event: DaemonEvent) -> DaemonStateMachine.Action {
        switch event {
        case .timer: machine.timerFired()
        case .stop: machine.stopRequested()
        case .reload: machine.reloadRequested()
        }
    }

    /// SIGHUP: the configuration file and the credentials are read again; a file with a
    /// mistake is logged and the configuration in force is kept.
    private func reload() {
        do {
            configuration = try command.loadConfiguration()
            credentials = try command.options.hub.credentials()
            machine.interval = command.interval ?? configuration.interval ?? DaemonCommand.defaultInterval
            clients = [:]
            knownProblems = [:]
            log("configuration read again from \(command.configurationPath)")
        } catch {
            log("configuration not changed: \(error)")
        }
    }

    // MARK: - A pass

    private struct Totals {
        var repositories = 0
        var queued = 0
        var delivered = 0
        var pending = 0
        var failed = 0
        /// Problems logged for the first time in this pass.
        var newProblems = 0
        var busy = false
    }

    private func pass(inbox: DaemonInbox) async {
        passNumber += 1
        let started = Date()
        var totals = Totals()
        var seen: Set<String> = []
        for path in repositoryPaths() {
            for event in inbox.takeAll() { _ = handle(event) }
            let mode = machine.nextRepository
            if mode == .skip { break }
            await syncRepository(at: path, mode: mode, inbox: inbox, seen: &seen, totals: &totals)
        }
        lastPassSucceeded = totals.failed == 0
        let seconds = Date().timeIntervalSince(started)
        let stopping = machine.state == .stopping
        guard totals.busy || totals.newProblems > 0 || stopping || command.verbose else { return }
        var parts = ["\(totals.repositories) repositories", "\(totals.queued) queued"]
        if credentials != nil { parts.append("\(totals.delivered) delivered") }
        parts.append("\(totals.pending) waiting")
        if totals.failed > 0 { parts.append("\(totals.failed) failed") }
        let ending = stopping ? "; stopping" : ""
        log("pass \(passNumber): \(parts.joined(separator: ", ")) in \(Self.format(seconds)) s\(ending)")
    }

    /// Syncs (or only queues) one repository and logs a line when it had work or failed.
    private func syncRepository(
        at path: String,
        mode: DaemonStateMachine.DeliveryMode,
        inbox: DaemonInbox,
        seen: inout Set<String>,
        totals: inout Totals
    ) async {
        let started = Date()
        let sync: RepositorySync
        do {
            sync = try command.options.open(path)
        } catch {
            totals.failed += 1
            if problem(at: path, "\(path): skipped: \(error)") { totals.newProblems += 1 }
            return
        }
        guard seen.insert(sync.commonDirectory).inserted else { return }
        totals.repositories += 1
        let name = sync.repositoryName
        let report: SyncReport
        do {
            if let credentials, mode == .deliver {
                let client = try command.options.client(
                    for: sync,
                    credentials: credentials,
                    console: Console(),
                    cache: &clients
                )
                let stamps = stampsLines
                report = try await stoppableSync(
                    sync,
                    client: client,
                    options: SyncOptions(batchSize: command.options.batchSize),
                    inbox: inbox
                ) { message in
                    DaemonRunner.write("\(name): \(message)", stamped: stamps)
                }
            } else {
                report = try sync.queueOnly()
            }
        } catch let error as SyncError {
            // A SyncError out of a sync means the delivery failed: the Hub is down or refused.
            totals.failed += 1
            totals.newProblems += 1
            machine.hubFailed()
            log("\(name): \(error)")
            return
        } catch {
            totals.failed += 1
            if problem(at: path, "\(name) (\(sync.displayPath)): skipped: \(error)") { totals.newProblems += 1 }
            return
        }
        knownProblems[path] = nil
        totals.queued += report.queued
        totals.delivered += report.delivered
        totals.pending += report.pending
        let busy =
            report.queued > 0 || report.delivered > 0 || !report.rejected.isEmpty || report.interrupted > 0
        totals.busy = totals.busy || busy
        guard busy || command.verbose else { return }
        let line = HookRun.describe(report, delivering: credentials != nil && mode == .deliver)
        log("\(line) in \(Self.format(Date().timeIntervalSince(started))) s")
        for (commit, reason) in report.rejected {
            log("\(name): commit \(commit) refused: \(reason)")
        }
    }

    /// The repositories of this pass: the command line's, the file's, then those found under
    /// the file's roots; each path once.
    private func repositoryPaths() -> [String] {
        var paths = command.repositories + configuration.repositories
        for root in configuration.roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                problem(at: root, "root \(root): no such directory")
                continue
            }
            knownProblems[root] = nil
            paths += RepositoryDiscovery.repositories(under: root, depth: configuration.depth)
        }
        var unique: Set<String> = []
        return paths.filter { unique.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    /// Logs a problem the first time it is seen (every time with --verbose); true when logged.
    @discardableResult
    private func problem(at key: String, _ message: String) -> Bool {
        guard command.verbose || knownProblems[key] != message else { return false }
        knownProblems[key] = message
        log(message)
        return true
    }

    private func log(_ message: String) {
        Self.write(message, stamped: stampsLines)
    }

    static func write(_ message: String, stamped: Bool) {
        let line = stamped ? "\(ISO8601DateFormatter().string(from: Date())) \(message)\n" : "\(message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}
