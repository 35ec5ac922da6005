import Foundation
import GitSync
import WorkTrailHub

/// The `worktrail-git` command line: parses the arguments, runs one command, renders errors.
public enum CLI {
    public static let version = "0.1.0"

    static let usage = """
        usage: worktrail-git <command> [options]

        commands:
          sync      deliver new commits to the Hub (--dry-run shows them instead)
          resync    delete everything this app stored in the Hub and deliver it all again
          status    show what the checkpoint of each repository holds
          auth      obtain an auth token for your company and store it
          employees list the company's employees and their ids
          hub check check that the Hub URL and the credentials work
          hook      install or uninstall the git hooks that sync after each commit
          daemon    sync many repositories at an interval until stopped
          version   print the version

        Run 'worktrail-git help <command>' for a command's options.
        """

    /// Runs the command line and returns the process's exit status: 0 on success, 1 when the
    /// work failed, 64 for a mistake in the command line.
    public static func run(_ arguments: [String], environment: [String: String]) async -> Int32 {
        let console = Console()
        do {
            try await dispatch(arguments, environment: environment, console: console)
            return 0
        } catch let error as UsageError {
            console.error("\(error)")
            console.error("Run 'worktrail-git help' for usage.")
            return 64
        } catch let error as ExitStatus {
            return error.code
        } catch {
            console.error("\(error)")
            return 1
        }
    }

    private static func dispatch(_ arguments: [String], environment: [String: String], console: Console) async throws {
        guard let command = arguments.first else {
            console.output(usage)
            throw ExitStatus(code: 64)
        }
        let rest = Array(arguments.dropFirst())
        // `worktrail-git sync --help` is `worktrail-git help sync`; an option value of "--help"
        // would follow its option, which no command has reason to take.
        if rest.contains(where: { $0 == "--help" || $0 == "-h" }), let text = help(for: command) {
            console.output(text)
            return
        }
        switch command {
        case "sync":
            try await SyncCommand(rest, environment: environment).run(console: console)
        case "resync":
            try await ResyncCommand(rest, environment: environment).run(console: console)
        case "status":
            try StatusCommand(rest, environment: environment).run(console: console)
        case "auth":
            try await AuthCommand(rest, environment: environment).run(console: console)
        case "employees":
            try await EmployeesCommand(rest, environment: environment).run(console: console)
        case "hub":
            try await HubCommand(rest, environment: environment).run(console: console)
        case "hook":
            try await HookCommand(rest, environment: environment).run(console: console)
        case "daemon":
            try await DaemonCommand(rest, environment: environment).run(console: console)
        case "version", "--version":
            console.output("worktrail-git \(version)")
        case "help", "--help", "-h":
            guard let topic = rest.first else {
                console.output(usage)
                return
            }
            guard let text = help(for: topic) else { throw UsageError("no help for '\(topic)': it is no command") }
            console.output(text)
        default:
            throw UsageError("unknown command '\(command)'")
        }
    }

    static func help(for command: String) -> String? {
        switch command {
        case "sync": SyncCommand.usage
        case "resync": ResyncCommand.usage
        case "status": StatusCommand.usage
        case "auth": AuthCommand.usage
        case "employees": EmployeesCommand.usage
        case "hub": HubCommand.usage
        case "hook": HookCommand.usage
        case "daemon": DaemonCommand.usage
        default: nil
        }
    }
}

/// Standard output for results, standard error for messages, each line prefixed on stderr.
struct Console {
    func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes bytes that already hold whole lines to standard output.
    func output(bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
    }

    func error(_ message: String) {
        FileHandle.standardError.write(Data("worktrail-git: \(message)\n".utf8))
    }

    /// Whether standard input is a terminal someone can answer a question on.
    var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }
}
