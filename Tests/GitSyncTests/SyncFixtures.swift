import Foundation
import GitSync
import StandInHub
import TestSupport
import WorkTrailHub

/// Credentials the stand-in Hub expects; distinctive, so a test can search output for them.
let testCredentials = HubCredentials(
    appKey: "app-KEY-7c1d",
    secretAPIKey: "secret-API-9f3e2a",
    authToken: "token-AUTH-51b0e8"
)

/// A stand-in Hub on 127.0.0.1 that expects `testCredentials`, started and ready.
func startedHub() throws -> StandInHub {
    let hub = StandInHub(StandInHub.Configuration(
        credentials: StandInHub.Credentials(
            appKey: testCredentials.appKey,
            secretAPIKey: testCredentials.secretAPIKey,
            authToken: testCredentials.authToken
        )
    ))
    try hub.start()
    return hub
}

/// A client for `hub`, with a short timeout so fault tests stay quick. Without retries by
/// default, so that one injected fault is one failed run; `retries` turns the client's own on.
func client(for hub: StandInHub, timeout: TimeInterval = 5, retries: Bool = false) -> HubClient {
    var configuration = HubConfiguration(baseURL: hub.baseURL, credentials: testCredentials, requestTimeout: timeout)
    configuration.retry = retries ? RetryPolicy(maximumAttempts: 4, baseDelay: 0.01) : .never
    return HubClient(configuration: configuration)
}

/// A repository with a GitHub `origin`, filled with a generated history.
/// Fixtures with the same seed share their history, as clones would.
func generatedRepository(commits: Int, bare: Bool = false, seed: UInt64 = 42) throws -> GitRepositoryFixture {
    let fixture = try GitRepositoryFixture(bare: bare)
    try fixture.git(["remote", "add", "origin", "git@github.com:acme/widgets.git"])
    try fixture.importHistory(commits: commits, seed: seed)
    return fixture
}

extension GitRepositoryFixture {
    /// Opens the repository for syncing, with the user's state kept inside the fixture.
    func sync(allAuthors: Bool = true) throws -> RepositorySync {
        try RepositorySync(path: path, allAuthors: allAuthors, environment: ["XDG_STATE_HOME": directory.child("state")])
    }
}

/// Collects what a sync logs.
final class LogLines: @unchecked Sendable {
    // Appended to from the sync's own task only; @unchecked because it is a class used in closures.
    private(set) var lines: [String] = []

    func append(_ line: String) { lines.append(line) }
}

/// Waits until `condition` holds, polling; fails the test only after a generous minute, so a
/// slow machine never fails it.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            struct NeverHappened: Error {}
            throw NeverHappened()
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
