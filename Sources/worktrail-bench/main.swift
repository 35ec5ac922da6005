import Foundation
import HubBenchmark

// Benchmarks, by subcommand; each lives in its own module.
let usage = "usage: worktrail-bench hub [--entries N]"
let arguments = Array(CommandLine.arguments.dropFirst())

switch arguments.first {
case "hub":
    var entries = 100_000
    if arguments.count == 3, arguments[1] == "--entries", let number = Int(arguments[2]), number > 0 {
        entries = number
    } else if arguments.count != 1 {
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(64)
    }
    do {
        print(HubBenchmark.render(try await HubBenchmark.run(entries: entries)))
    } catch {
        FileHandle.standardError.write(Data("worktrail-bench: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("\(usage)\n".utf8))
    exit(64)
}
