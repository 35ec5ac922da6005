import Foundation
import WorkTrailHub
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `worktrail-git auth`: obtains an auth token through the Hub's approval flow and stores it,
/// with the app key and secret, in the credentials file.
struct AuthCommand {
    static let usage = """
        usage: worktrail-git auth [--timeout SECONDS] [--poll-interval SECONDS] [--hub-url URL]
                                  [--allow-insecure-http] [--verbose]

        Requests an auth token with the scopes sync-hub-data and read-employees, prints the
        URL where a manager of the company approves it, and waits for the approval. The token,
        the app key and the secret API key are then stored in the credentials file
        ($XDG_CONFIG_HOME/worktrail-git/credentials, mode 0600). Nothing is stored when the
        request is rejected, not approved in time, or interrupted.

        The app key and secret come from WORKTRAIL_APP_KEY and WORKTRAIL_SECRET_API_KEY, or the
        credentials file, or are asked for (without echo on a terminal; read as lines otherwise).

          --timeout SECONDS        how long to wait for the approval (default 600)
          --poll-interval SECONDS  how often to ask the Hub (default 3)
        """

    static let scopes: [TokenScope] = [.syncHubData, .readEmployees]

    let hub: HubSetup
    let timeout: Double
    let pollInterval: Double

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(
            arguments,
            flags: HubSetup.flags,
            options: HubSetup.options.union(["--timeout", "--poll-interval"])
        )
        if let operand = parsed.operands.first { throw UsageError("unexpected argument '\(operand)'") }
        hub = HubSetup(parsed, environment: environment)
        timeout = try Self.seconds(parsed, "--timeout") ?? 600
        pollInterval = try Self.seconds(parsed, "--poll-interval") ?? 3
    }

    private static func seconds(_ arguments: Arguments, _ option: String) throws -> Double? {
        guard let text = arguments.value(option) else { return nil }
        guard let value = Double(text), value.isFinite, value > 0 else {
            throw UsageError("\(option) takes a number of seconds above 0, not '\(text)'")
        }
        return value
    }

    /// How the wait for approval ended.
    enum Outcome {
        case approved
        case rejected
        case timedOut
        case interrupted
    }

    func run(console: Console) async throws {
        let url = try hub.baseURL(configured: nil)
        let file = hub.credentialsFile
        // Read (and check) the file first, so that a file that cannot be used stops the command
        // before a token is requested.
        let existing = try file.read() ?? StoredCredentials()
        let interruption = Interruption()
        defer { interruption.stop() }

        let available = try hub.availableCredentials()
        guard let appKey = try available.appKey ?? ask("App key: ", interruption: interruption, console: console),
            let secret = try available.secretAPIKey
                ?? ask("Secret API key: ", interruption: interruption, console: console)
        else {
            throw CommandError(
                "auth needs the app key and secret API key: set \(HubSetup.appKeyVariable) and"
                    + " \(HubSetup.secretVariable), or give them on standard input"
            )
        }
        let credentials = HubCredentials(appKey: appKey, secretAPIKey: secret, authToken: nil)
        let client = try hub.client(baseURL: url, credentials: credentials, console: console)

        let request: TokenRequest
        do {
            request = try await client.requestToken(scopes: Self.scopes)
        } catch {
            console.error("requesting a token from the Hub at \(url.absoluteString) failed\n    \(error)")
            throw ExitStatus(code: 1)
        }
        console.output("Open this page and approve the access (a manager of the company must do it):")
        console.output("    \(request.redirectURL)")

        let outcome = try await interruption.run {
            try await wait(for: request, client: client, console: console)
        }
        switch outcome {
        case .approved:
            var stored = existing
            stored.appKey = appKey
            stored.secretAPIKey = secret
            stored.authToken = request.authToken
            try file.write(stored)
            console.output("approved: the token is stored in \(file.path)")
            if hub.environment[HubSetup.tokenVariable].map({ !$0.isEmpty }) == true {
                console.error(
                    "warning: \(HubSetup.tokenVariable) is set and wins over the file; unset it to use the new token"
                )
            }
        case .rejected:
            console.error("the token request was rejected; nothing was stored")
            throw ExitStatus(code: 1)
        case .timedOut:
            console.error(
                "the token request was not approved within \(Self.format(timeout)) seconds; nothing was stored\n"
                    + "    run 'worktrail-git auth' again when a manager can approve it"
            )
            throw ExitStatus(code: 1)
        case .interrupted:
            console.error("interrupted; nothing was stored")
            throw ExitStatus(code: 130)
        }
    }

    /// Polls the Hub until the request is decided, the time is up, or the task is cancelled.
    private func wait(for request: TokenRequest, client: HubClient, console: Console) async throws -> Outcome {
        let progress = Progress(console: console, limit: timeout)
        defer { progress.finish() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        while true {
            progress.show(elapsed: timeout - (clock.now.duration(to: deadline) / .seconds(1)))
            let status: TokenStatus
            do {
                status = try await client.confirmToken(requestKey: request.requestKey)
            } catch  where error.final == .cancelled {
                return .interrupted
            } catch {
                progress.finish()
                console.error("asking the Hub whether the token was approved failed; nothing was stored\n    \(error)")
                throw ExitStatus(code: 1)
            }
            switch status {
            case .active: return .approved
            case .rejected: return .rejected
            case .pending: break
            }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return .timedOut }
            do {
                try await Task.sleep(for: min(.seconds(pollInterval), remaining))
            } catch {
                return .interrupted
            }
            if Task.isCancelled { return .interrupted }
        }
    }

    /// Asks for a value on the terminal without echo, or reads a line when standard input is
    /// not a terminal; nil at the end of input.
    private func ask(_ prompt: String, interruption: Interruption, console: Console) throws -> String? {
        guard isatty(0) == 1 else {
            return readLine().map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        let answer = interruption.withoutEcho { readLine() }
        FileHandle.standardError.write(Data("\n".utf8))
        return answer.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// The line that shows the wait for approval: rewritten in place on a terminal, printed once
/// otherwise.
private final class Progress {
    let console: Console
    let limit: Double
    let isTerminal = isatty(2) == 1
    private var shown = false

    init(console: Console, limit: Double) {
        self.console = console
        self.limit = limit
    }

    func show(elapsed: Double) {
        let text = "waiting for approval: \(Int(elapsed)) s of \(AuthCommand.format(limit)) s"
        if isTerminal {
            FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
        } else if !shown {
            console.error(text)
        }
        shown = true
    }

    func finish() {
        if isTerminal && shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}

/// Turns SIGINT into the cancellation of the running wait, and restores the terminal's echo
/// if it comes during a prompt.
// @unchecked Sendable: the mutable members are only touched while `lock` is held.
private final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var source: (any DispatchSourceSignal)?
    private var task: Task<AuthCommand.Outcome, any Error>?
    private var savedTerminal: termios?

    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.interrupted() }
        source.resume()
        self.source = source
    }

    /// Runs `body` as a task that SIGINT cancels.
    func run(_ body: @escaping @Sendable () async throws -> AuthCommand.Outcome) async throws -> AuthCommand.Outcome {
        let task = Task { try await body() }
        lock.withLock { self.task = task }
        defer { lock.withLock { self.task = nil } }
        return try await task.value
    }

    /// Runs `body` with the terminal's echo off.
    func withoutEcho<T>(_ body: () -> T) -> T {
        var settings = termios()
        guard tcgetattr(0, &settings) == 0 else { return body() }
        var quiet = settings
        quiet.c_lflag &= ~tcflag_t(ECHO)
        lock.withLock { savedTerminal = settings }
        _ = tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            _ = tcsetattr(0, TCSAFLUSH, &settings)
            lock.withLock { savedTerminal = nil }
        }
        return body()
    }

    private func interrupted() {
        let (task, terminal) = lock.withLock { (self.task, savedTerminal) }
        if let task {
            task.cancel()
            return
        }
        // Interrupted while asking or before the wait: nothing was stored yet.
        if var terminal { _ = tcsetattr(0, TCSAFLUSH, &terminal) }
        FileHandle.standardError.write(Data("\nworktrail-git: interrupted; nothing was stored\n".utf8))
        exit(130)
    }

    func stop() {
        source?.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
