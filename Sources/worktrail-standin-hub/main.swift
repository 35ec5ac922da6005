import StandInHub

// A stand-in Hub on loopback for benchmarks and manual runs: prints its base URL on the first
// line of standard output, accepts any credentials, keeps only counts (not entries or requests),
// and serves until it is killed. `--port N` picks the port; the default is any free one.
let arguments = CommandLine.arguments.dropFirst()
let port = zip(arguments, arguments.dropFirst()).first { $0.0 == "--port" }.flatMap { Int($0.1) } ?? 0
StandInHub.runForever(
    port: port,
    configuration: StandInHub.Configuration(retainsEntries: false, recordsRequests: false)
)
