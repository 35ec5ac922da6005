import Foundation
import GitSync
import WorkTrailHub

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `worktrail-git hook install|uninstall|run`: the git hooks that sync after each commit.
struct HookCommand {
    static let usage = """
        usage: worktrail-git hook install [--repo PATH] [--template]
               worktrail-git hook uninstall [--repo PATH] [--template]

        install    puts the post-commit, post-rewrite and post-merge hooks where git runs them:
                   core.hooksPath when it is set, else the hooks directory of the repository
                   (shared by all its worktrees). A hook that is already there is kept as
                   <name>.worktrail-chained and still runs, first. Installing again changes
                   nothing.
        uninstall  removes the hooks and puts back the ones they replaced.

          --repo PATH   the repository (default: the one containing .)
          --template    install into git's template directory instead (init.templateDir; when
                        it is not set, ~/.local/share/worktrail-git/git-template, which is then
                        set with 'git config --global init.templateDir'), so that repositories
                        cloned or created from now on get the hooks

        A hook hands the work to a background process and returns at once; it prints nothing
        and logs to <git common dir>/worktrail/hook.log. With Hub credentials it syncs the
        repository; without, it scans and queues the entries for a later sync or daemon pass.
        WORKTRAIL_SKIP=1 turns the hooks off for one git command (a hook that was chained
        still runs).
        """

    enum Action {
        case install, uninstall, run
    }

    let action: Action
    let arguments: Arguments
    let environment: [String: String]

    init(_ arguments: [String], environment: [String: String]) throws {
        guard let verb = arguments.first else { throw UsageError("hook needs install or uninstall") }
        switch verb {
        case "install": action = .install
        case "uninstall": action = .uninstall
        case "run": action = .run
        default: throw UsageError("unknown hook command '\(verb)'; use install or uninstall")
        }
        let rest = Array(arguments.dropFirst())
        self.arguments =
            action == .run
            ? try Arguments(rest, flags: [], options: ["--repo", "--hook", "--log"])
            : try Arguments(rest, flags: ["--template"], options: ["--repo"])
        guard self.arguments.operands.isEmpty else {
            throw UsageError("unexpected argument '\(self.arguments.operands[0])'")
        }
        self.environment = environment
    }

    func run(console: Console) async throws {
        switch action {
        case .install:
            let directory = try hooksDirectory(console: console, creatingTemplate: true)
            try HookInstaller(directory: directory, binary: try Self.binaryPath(environment: environment))
                .install(console: console)
        case .uninstall:
            let directory = try hooksDirectory(console: console, creatingTemplate: false)
            try HookInstaller(directory: directory, binary: "").uninstall(console: console)
            if arguments.has("--template") { try forgetDefaultTemplate(hooks: directory, console: console) }
        case .run:
            await HookRun(
                repository: arguments.value("--repo") ?? ".",
                hook: arguments.value("--hook") ?? "hook",
                logPath: arguments.value("--log"),
                environment: environment
            ).run()
        }
    }

    // MARK: - Where the hooks go

    /// The directory git runs the repository's hooks from, or the template's hooks directory.
    private func hooksDirectory(console: Console, creatingTemplate: Bool) throws -> String {
        let git = GitTool(environment: environment)
        if arguments.has("--template") {
            guard arguments.value("--repo") == nil else { throw UsageError("--template and --repo exclude each other") }
            if let configured = git.templateDirectory() {
                return (configured as NSString).appendingPathComponent("hooks")
            }
            let template = Self.defaultTemplateDirectory(environment: environment)
            guard creatingTemplate else { return (template as NSString).appendingPathComponent("hooks") }
            try git.run(["config", "--global", "init.templateDir", template], in: nil)
            console.output("set init.templateDir to \(template) in your global git configuration")
            return (template as NSString).appendingPathComponent("hooks")
        }
        let repository = arguments.value("--repo") ?? "."
        guard FileManager.default.fileExists(atPath: repository) else {
            throw HookError(description: "\(repository): no such file or directory")
        }
        // git answers with core.hooksPath when set (a relative one taken from the top of the
        // working tree), else <common git dir>/hooks; the answer is relative to the directory asked in.
        let answer: String
        do {
            answer = try git.run(["rev-parse", "--git-path", "hooks"], in: repository)
                .trimmingCharacters(in: .newlines)
        } catch {
            throw HookError(description: "\(repository): not inside a git repository; give one with --repo PATH")
        }
        let base = URL(
            fileURLWithPath: repository,
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        )
        return URL(fileURLWithPath: answer, relativeTo: base).standardizedFileURL.path
    }

    /// `$XDG_DATA_HOME/worktrail-git/git-template`, by default under `~/.local/share`.
    static func defaultTemplateDirectory(environment: [String: String]) -> String {
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            dataHome = ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/share")
        }
        return (dataHome as NSString).appendingPathComponent("worktrail-git/git-template")
    }

    /// After `uninstall --template`: unsets init.templateDir when it is the default that
    /// `install --template` set and nothing else was put in it.
    private func forgetDefaultTemplate(hooks: String, console: Console) throws {
        let git = GitTool(environment: environment)
        let template = Self.defaultTemplateDirectory(environment: environment)
        guard git.templateDirectory() == template else { return }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: hooks)) ?? []
        guard left.isEmpty else { return }
        try git.run(["config", "--global", "--unset", "init.templateDir"], in: nil)
        try? FileManager.default.removeItem(atPath: template)
        console.output("unset init.templateDir in your global git configuration")
    }

    /// The absolute path of this binary as it was run (symbolic links are kept, so a package
    /// manager's link that survives upgrades is recorded rather than a versioned target).
    static func binaryPath(environment: [String: String]) throws -> String {
        let invoked = CommandLine.arguments.first ?? ""
        if invoked.contains("/") {
            let url = URL(
                fileURLWithPath: invoked,
                relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            )
            return url.standardizedFileURL.path
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(invoked)"
            if !invoked.isEmpty, FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        guard let path = Bundle.main.executablePath else {
            throw HookError(description: "cannot tell where the worktrail-git binary is, to record it in the hooks")
        }
        return path
    }
}

/// Why installing or removing hooks failed; the message names the file.
struct HookError: Error, CustomStringConvertible {
    let description: String
}

// MARK: - Installing

/// Puts the hooks into one directory and takes them out again, keeping whatever was there.
struct HookInstaller {
    let directory: String
    let binary: String
    private var fileManager: FileManager { .default }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func install(console: Console) throws {
        let script = HookScript.script(binary: binary)
        try create(directory)
        var written: [String] = []
        for name in HookScript.names {
            let hook = path(name)
            let chained = hook + HookScript.chainedSuffix
            let present = exists(hook) || isSymbolicLink(hook)
            if present, contents(hook).map(HookScript.isOurs) == true {
                if contents(hook) == script && isExecutable(hook) && !isSymbolicLink(hook) { continue }
            } else if present {
                guard !exists(chained) && !isSymbolicLink(chained) else {
                    throw HookError(
                        description: "\(hook) is not worktrail-git's, and \(chained) is already taken;"
                            + " move one of them away and install again"
                    )
                }
                try move(hook, to: chained)
                console.output(
                    "kept the existing \(name) hook as \(name)\(HookScript.chainedSuffix); it still runs first"
                )
            }
            try write(script, to: hook)
            written.append(name)
        }
        if written.isEmpty {
            console.output("the hooks are already installed in \(directory)")
        } else {
            console.output("installed \(written.joined(separator: ", ")) in \(directory)")
        }
    }

    func uninstall(console: Console) throws {
        var removed: [String] = []
        for name in HookScript.names {
            let hook = path(name)
            let chained = hook + HookScript.chainedSuffix
            if let existing = contents(hook) {
                guard HookScript.isOurs(existing) else {
                    console.error("\(hook) is not worktrail-git's; left as it is")
                    continue
                }
                try remove(hook)
                removed.append(name)
            }
            if exists(chained) || isSymbolicLink(chained) {
                try move(chained, to: hook)
                console.output("put back the \(name) hook that was there before")
            }
        }
        console.output(
            removed.isEmpty
                ? "no worktrail-git hooks in \(directory)"
                : "removed \(removed.joined(separator: ", ")) from \(directory)"
        )
    }

    // MARK: File operations, each failure naming the file

    private func contents(_ path: String) -> String? {
        guard let data = fileManager.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private func exists(_ path: String) -> Bool { fileManager.fileExists(atPath: path) }

    private func isExecutable(_ path: String) -> Bool { fileManager.isExecutableFile(atPath: path) }

    private func isSymbolicLink(_ path: String) -> Bool {
        (try? fileManager.destinationOfSymbolicLink(atPath: path)) != nil
    }

    private func create(_ directory: String) throws {
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw HookError(description: "cannot create \(directory): \(error.localizedDescription)")
        }
    }

    private func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw HookError(
                description: "cannot rename \(source) to \(destination): \(String(cString: strerror(errno)))"
            )
        }
    }

    private func remove(_ path: String) throws {
        guard unlink(path) == 0 else {
            throw HookError(description: "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes through a temporary file and a rename, so git never runs half a script.
    private func write(_ script: String, to path: String) throws {
        let temporary = path + ".worktrail-new"
        do {
            try Data(script.utf8).write(to: URL(fileURLWithPath: temporary))
            try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
        } catch {
            try? fileManager.removeItem(atPath: temporary)
            throw HookError(description: "cannot write \(path): \(error.localizedDescription)")
        }
        try move(temporary, to: path)
    }
}

// MARK: - git

/// Runs the `git` command line, for what only git can answer exactly as it will act on it
/// (where it runs hooks, its template directory).
struct GitTool {
    let environment: [String: String]

    /// The configured template directory (`init.templateDir`, global then system), with `~` expanded.
    func templateDirectory() -> String? {
        for scope in ["--global", "--system"] {
            if let value = try? run(["config", scope, "--type=path", "--get", "init.templateDir"], in: nil)
                .trimmingCharacters(in: .newlines), !value.isEmpty
            {
                return value
            }
        }
        return nil
    }

    /// Runs git and returns its standard output.
    ///
    /// - Throws: `HookError` with git's message when git cannot be run or fails.
    @discardableResult
    func run(_ arguments: [String], in directory: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw HookError(description: "cannot run git (\(executable)): \(error.localizedDescription)")
        }
        // git's answers here are a line or two, far below a pipe's buffer.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw HookError(
                description: "git \(arguments.joined(separator: " ")) failed\(detail.isEmpty ? "" : ":\n    \(detail)")"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }

    private var executable: String {
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/git"
    }
}
