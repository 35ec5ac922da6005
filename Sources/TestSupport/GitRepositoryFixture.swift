import Foundation

/// A git repository in a temporary directory, driven through the real `git` command.
///
/// Git runs with a private `HOME` and no system configuration, so the machine's own settings
/// cannot change what a test sees.
public final class GitRepositoryFixture: @unchecked Sendable {
    // Fixed after init; @unchecked because the temporary directory is removed in deinit.
    public let directory: TemporaryDirectory
    /// The working tree, or the repository itself when bare.
    public let path: String
    public let home: String

    /// Creates an empty repository (`git init`), with `user.email` and `user.name` set.
    public init(bare: Bool = false, email: String = "dev@example.com", name: String = "Dee Veloper") throws {
        directory = try TemporaryDirectory("repo")
        path = directory.child(bare ? "project.git" : "project")
        home = directory.child("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main"] + (bare ? ["--bare"] : []) + [path], in: directory.path)
        try git(["config", "user.email", email])
        try git(["config", "user.name", name])
    }

    /// The environment git runs with in tests.
    public var environment: [String: String] {
        [
            "HOME": home,
            "XDG_CONFIG_HOME": (home as NSString).appendingPathComponent(".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        ]
    }

    /// Runs git in the repository and returns its standard output.
    ///
    /// - Throws: `FixtureError` with git's message when git fails.
    @discardableResult
    public func git(
        _ arguments: [String],
        in directory: String? = nil,
        environment extra: [String: String] = [:],
        input: Data? = nil
    ) throws -> String {
        guard let gitPath = Shell.which("git") else { throw FixtureError("git is not installed") }
        let result = try Shell.run(
            gitPath,
            arguments,
            in: directory ?? path,
            environment: environment.merging(extra) { _, new in new },
            input: input
        )
        guard result.status == 0 else {
            throw FixtureError("git \(arguments.joined(separator: " ")) failed: \(result.standardError)")
        }
        return result.standardOutput
    }

    /// Makes a commit with a fixed author and time, changing one file.
    @discardableResult
    public func commit(
        _ message: String,
        author: String = "Dee Veloper <dev@example.com>",
        time: Int64 = 1_700_000_000,
        file: String = "file.txt"
    ) throws -> String {
        let filePath = (path as NSString).appendingPathComponent(file)
        let previous = (try? String(contentsOfFile: filePath, encoding: .utf8)) ?? ""
        try (previous + message + "\n").write(toFile: filePath, atomically: true, encoding: .utf8)
        try git(["add", file])
        let date = "@\(time) +0000"
        try git(
            ["commit", "-q", "--author", author, "-m", message],
            environment: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date]
        )
        return try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a raw commit object, bytes as given, and points `ref` at it.
    @discardableResult
    public func writeRawCommit(_ body: Data, updating ref: String) throws -> String {
        let id = try git(["hash-object", "-t", "commit", "-w", "--literally", "--stdin"], input: body)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try git(["update-ref", ref, id])
        return id
    }

    /// The oracle: `git log --branches --format='%H %at %ae %s'`, one line per commit.
    public func logLines(_ extra: [String] = ["--branches"]) throws -> [String] {
        try git(["log"] + extra + ["--format=%H %at %ae %s"])
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
    }
}

/// A fixture that could not be set up.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
