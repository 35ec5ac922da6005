import Foundation
import GitSync
import WorkTrailHub

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `worktrail-git hook run`: what an installed hook starts in the background.
///
/// It syncs the repository when Hub credentials are set, and otherwise only scans and queues
/// (no network). It writes one line per run to the hook log and never fails: a hook has no one
/// to report to, so everything is in the log.
struct HookRun {
    /// The log is moved to `<log>.1` when it grows beyond this, so two files at most are kept.
    static let maximumLogSize = 256 * 1024

    let repository: String
    let hook: String
    let logPath: String?
    let environment: [String: String]

    func run() async {
        if let logPath { Self.rotate(logPath) }
        guard environment["WORKTRAIL_SKIP"] != "1" else { return }
        let started = Date()
        let line = await outcome()
        let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
        log("\(hook): \(line) (\(seconds) s)")
    }

    /// What the run did, as one log line.
    private func outcome() async -> String {
        let sync: RepositorySync
        do {
            sync = try RepositorySync(path: repository, allAuthors: false, environment: environment)
        } catch {
            return "\(repository): skipped: \(error)"
        }
        let name = sync.repositoryName
        // A rebase runs post-commit for every commit it makes, then post-rewrite once at its end:
        // that one run covers them all, so a rebase of fifty commits makes one pass, not fifty.
        if hook == "post-commit" && sync.isRebasing {
            return "\(name): rebase in progress; the post-rewrite hook at its end takes these commits"
        }
        let hub = HubSetup(environment: environment, urlFlag: nil, allowInsecureHTTP: false)
        let credentials: HubCredentials?
        do {
            credentials = try hub.credentials()
        } catch {
            credentials = nil
            log("\(hook): \(name): \(error); queueing only")
        }
        do {
            guard let credentials else {
                let report = try sync.queueOnly()
                return Self.describe(report, delivering: false)
            }
            let url = try hub.baseURL(configured: sync.configuredHubURL)
            let client = HubClient(configuration: HubConfiguration(baseURL: url, credentials: credentials))
            let report = try await sync.sync(client: client, log: { message in log("\(hook): \(name): \(message)") })
            return Self.describe(report, delivering: true)
        } catch {
            return "\(name): \(error)"
        }
    }

    /// `widgets: 1 queued, 1 delivered, 0 waiting`, or why nothing was done.
    static func describe(_ report: SyncReport, delivering: Bool) -> String {
        let name = report.repositoryName
        if report.leftToOtherProcess {
            return "\(name): another worktrail-git process is on it and scans again when done"
        }
        var parts = ["\(report.queued) queued"]
        if delivering { parts.append("\(report.delivered) delivered") }
        parts.append("\(report.pending) waiting")
        if !report.rejected.isEmpty { parts.append("\(report.rejected.count) refused by the Hub") }
        let text = "\(name): \(parts.joined(separator: ", "))"
        return delivering ? text : text + "; no Hub credentials are set, so nothing was sent"
    }

    /// A line on standard error, which the hook script points at the log file.
    private func log(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(stamp) \(message)\n".utf8))
    }

    /// Moves a log grown too large to `<path>.1` and points standard output and error at a
    /// fresh file, so the log never holds more than two files' worth.
    static func rotate(_ path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, size > maximumLogSize
        else { return }
        guard rename(path, path + ".1") == 0 else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        dup2(descriptor, STDOUT_FILENO)
        dup2(descriptor, STDERR_FILENO)
        close(descriptor)
    }
}
