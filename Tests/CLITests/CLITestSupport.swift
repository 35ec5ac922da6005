import Foundation
import StandInHub
import TestSupport

/// The `worktrail-git` binary built next to the test bundle.
let toolPath: String = {
    let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle.main.bundleURL.deletingLastPathComponent(),
    ]
    for directory in candidates.compactMap({ $0 }) {
        let path = directory.appendingPathComponent("worktrail-git").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return "worktrail-git"
}()

let appKey = "cli-APPKEY-3e7a"
let secretKey = "cli-SECRET-b81f44"
let authToken = "cli-TOKEN-c09d27"

/// A stand-in Hub expecting the CLI test credentials.
func startedHub() throws -> StandInHub {
    let hub = StandInHub(StandInHub.Configuration(
        credentials: StandInHub.Credentials(appKey: appKey, secretAPIKey: secretKey, authToken: authToken)
    ))
    try hub.start()
    return hub
}

extension GitRepositoryFixture {
    /// Runs `worktrail-git` in the repository with the fixture's private environment.
    func tool(_ arguments: [String], credentials: Bool = false, extra: [String: String] = [:]) throws -> ProcessResult {
        var environment = self.environment
        environment["XDG_STATE_HOME"] = directory.child("state")
        // Unset any credentials of the machine running the tests.
        environment["WORKTRAIL_APP_KEY"] = credentials ? appKey : ""
        environment["WORKTRAIL_SECRET_API_KEY"] = credentials ? secretKey : ""
        environment["WORKTRAIL_AUTH_TOKEN"] = credentials ? authToken : ""
        environment["WORKTRAIL_HUB_URL"] = ""
        return try Shell.run(toolPath, arguments, in: path, environment: environment.merging(extra) { _, new in new })
    }

    /// A repository with a GitHub remote and a few commits by the user.
    ///
    /// Fixtures made with the same `start` hold the very same commits, as clones would; give
    /// repositories meant to differ different starts.
    static func small(commits: Int = 3, start: Int64 = 1_700_000_000) throws -> GitRepositoryFixture {
        let fixture = try GitRepositoryFixture()
        try fixture.git(["remote", "add", "origin", "https://github.com/acme/widgets.git"])
        for index in 0..<commits {
            try fixture.commit("change \(index)", time: start + Int64(index) * 60)
        }
        return fixture
    }
}

/// Whether `text` contains any of the CLI test secrets.
func leaksSecret(_ text: String) -> Bool {
    [appKey, secretKey, authToken].contains { text.contains($0) }
}
