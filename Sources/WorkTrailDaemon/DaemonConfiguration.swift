import Foundation

/// The daemon's configuration file: which repositories to sync, and where to look for more.
///
/// The file is read from `$XDG_CONFIG_HOME/worktrail-git/daemon.conf` (by default
/// `~/.config/worktrail-git/daemon.conf`). One setting per line; `#` starts a comment:
///
/// ```
/// repo = ~/src/widgets      # a repository (repeatable)
/// root = ~/src              # a directory searched for repositories (repeatable)
/// depth = 3                 # how many directory levels below each root are searched (1 to 8)
/// interval = 300            # seconds between passes; --interval on the command line wins
/// ```
///
/// `~/` is the home directory; a relative path is taken from the directory holding the file.
public struct DaemonConfiguration: Sendable, Equatable {
    public static let defaultDepth = 3
    public static let maximumDepth = 8

    public var repositories: [String] = []
    public var roots: [String] = []
    public var depth = DaemonConfiguration.defaultDepth
    public var interval: Double?

    public init(repositories: [String] = [], roots: [String] = [], depth: Int = DaemonConfiguration.defaultDepth) {
        self.repositories = repositories
        self.roots = roots
        self.depth = depth
    }

    /// Where the configuration file is looked for, given the environment.
    public static func defaultPath(environment: [String: String]) -> String {
        let base: String
        if let configHome = environment["XDG_CONFIG_HOME"], configHome.hasPrefix("/") {
            base = configHome
        } else {
            base = ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config")
        }
        return "\(base)/worktrail-git/daemon.conf"
    }

    /// Reads the file at `path`; a file that does not exist is an empty configuration.
    ///
    /// - Throws: `DaemonConfigurationError` naming the file and line of a mistake, or why the
    ///   file cannot be read.
    public static func load(path: String, home: String) throws(DaemonConfigurationError) -> DaemonConfiguration {
        guard FileManager.default.fileExists(atPath: path) else { return DaemonConfiguration() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DaemonConfigurationError(
                path: path,
                line: nil,
                message: "cannot be read: \(error.localizedDescription)"
            )
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, path: path, home: home, directory: directory)
    }

    /// Parses the text of a configuration file.
    ///
    /// - Parameters:
    ///   - path: the file's name, for messages.
    ///   - home: what `~/` stands for.
    ///   - directory: what relative paths are taken from.
    public static func parse(
        _ text: String,
        path: String,
        home: String,
        directory: String
    ) throws(DaemonConfigurationError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        // Each line: `key = value`, `# comment`, or blank; a comment may follow a value.
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            func mistake(_ message: String) -> DaemonConfigurationError {
                DaemonConfigurationError(path: path, line: lineNumber, message: message)
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw mistake("expected 'key = value', found '\(trimmed)'")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw mistake("'\(key)' needs a value") }
            switch key {
            case "repo":
                configuration.repositories.append(expand(value, home: home, directory: directory))
            case "root":
                configuration.roots.append(expand(value, home: home, directory: directory))
            case "depth":
                guard let depth = Int(value), (1...maximumDepth).contains(depth) else {
                    throw mistake("depth takes a whole number from 1 to \(maximumDepth), not '\(value)'")
                }
                configuration.depth = depth
            case "interval":
                guard let seconds = Double(value), seconds >= 1, seconds.isFinite else {
                    throw mistake("interval takes a number of seconds, at least 1, not '\(value)'")
                }
                configuration.interval = seconds
            default:
                throw mistake("unknown setting '\(key)' (known: repo, root, depth, interval)")
            }
        }
        return configuration
    }

    /// `~/x` → home/x; a relative path → directory/path; an absolute path as it is.
    static func expand(_ path: String, home: String, directory: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home as NSString).appendingPathComponent(String(path.dropFirst(2))) }
        if path.hasPrefix("/") { return path }
        return (directory as NSString).appendingPathComponent(path)
    }
}

/// A mistake in the daemon's configuration file, with the file and line.
public struct DaemonConfigurationError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int?
    public let message: String

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path) \(message)"
    }
}
