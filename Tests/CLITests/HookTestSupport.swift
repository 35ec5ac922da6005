import Foundation
import StandInHub
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Polls `condition` every 50 ms until it holds or `seconds` have passed; the bound is generous
/// so that a slow machine only makes the test slower, never failing.
func eventually(within seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

/// The source tree, for the files the tool ships (`hooks/`, `contrib/`).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

extension GitRepositoryFixture {
    /// What git passes on to the hooks in a test: the fixture's private directories, and the
    /// stand-in's URL and credentials, or no credentials at all.
    func hookEnvironment(_ hub: StandInHub?) -> [String: String] {
        [
            "XDG_STATE_HOME": directory.child("state"),
            "XDG_DATA_HOME": directory.child("data"),
            "WORKTRAIL_APP_KEY": hub == nil ? "" : appKey,
            "WORKTRAIL_SECRET_API_KEY": hub == nil ? "" : secretKey,
            "WORKTRAIL_AUTH_TOKEN": hub == nil ? "" : authToken,
            "WORKTRAIL_HUB_URL": hub?.baseURL.absoluteString ?? "",
            "WORKTRAIL_SKIP": "",
        ]
    }

    /// Runs git the way a user would, with the hooks seeing `hub`.
    @discardableResult
    func hookedGit(
        _ arguments: [String],
        hub: StandInHub?,
        in directory: String? = nil,
        extra: [String: String] = [:]
    ) throws -> String {
        try git(arguments, in: directory, environment: hookEnvironment(hub).merging(extra) { _, new in new })
    }

    /// Changes a file and commits it with git's own `commit`, hooks included; returns the new id.
    @discardableResult
    func hookedCommit(
        _ message: String,
        hub: StandInHub?,
        in directory: String? = nil,
        file name: String = "notes.txt",
        extra: [String: String] = [:]
    ) throws -> String {
        let worktree = directory ?? path
        let file = (worktree as NSString).appendingPathComponent(name)
        let previous = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        try (previous + message + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try git(["add", name], in: worktree)
        try hookedGit(["commit", "-q", "-m", message], hub: hub, in: worktree, extra: extra)
        return try git(["rev-parse", "HEAD"], in: worktree).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The hook log of the repository (`<git dir>/worktrail/hook.log`), or "" before the first run.
    var hookLog: String {
        (try? String(contentsOfFile: path + "/.git/worktrail/hook.log", encoding: .utf8)) ?? ""
    }

    /// The counts of `worktrail-git status --json` for this repository (`delivered`, `pending`,
    /// `rewritten`, `unknownOutcome`, …).
    func statusCounts() throws -> [String: Int] {
        let result = try tool(["status", "--json"])
        let listing = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let list = listing?["repositories"] as? [[String: Any]]
        guard let object = list?.first else { throw FixtureError("status --json said: \(result.allOutput)") }
        return object.compactMapValues { $0 as? Int }
    }

    /// A repository with a GitHub remote, one commit made without hooks, and the hooks installed.
    static func withHooks() throws -> GitRepositoryFixture {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let result = try fixture.tool(["hook", "install"])
        guard result.status == 0 else { throw FixtureError("hook install failed: \(result.allOutput)") }
        return fixture
    }
}

extension StandInHub {
    /// The commit ids of the stored entries, taken from their links.
    var deliveredCommits: [String] {
        entries.compactMap { entry in
            entry.link.split(separator: "/").last.map(String.init)
        }
    }
}

/// A `worktrail-git` process left running (the daemon), with its output going to files.
final class RunningTool {
    let process = Process()
    private let outputPath: String
    private let scratch: TemporaryDirectory

    init(_ arguments: [String], in directory: String, environment: [String: String]) throws {
        scratch = try TemporaryDirectory("daemon-output")
        outputPath = scratch.child("output")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: toolPath)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try handle.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process wrote so far, both streams.
    var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// The exit status, or nil when the process still runs after `seconds`.
    func waitForExit(within seconds: Double) -> Int32? {
        guard eventually(within: seconds, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }
}
