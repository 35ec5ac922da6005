import Foundation
import StandInHub
import Testing
import TestSupport

/// A token the stand-in hands out in the token flow; as secret as the others.
private let issuedToken = "issued-TOKEN-8a1f"

/// A home directory for one run of the tool, so that the credentials file is the test's own.
private final class ToolHome: @unchecked Sendable {
    // Fixed after init; @unchecked because the directory is removed in deinit.
    let directory: TemporaryDirectory
    var credentialsPath: String { directory.child("home/.config/worktrail-git/credentials") }

    init() throws {
        directory = try TemporaryDirectory("hubcli")
        try FileManager.default.createDirectory(atPath: directory.child("home"), withIntermediateDirectories: true)
    }

    /// The environment: a private home, no credentials unless `credentials` asks for them.
    func environment(credentials: Bool, extra: [String: String] = [:]) -> [String: String] {
        [
            "HOME": directory.child("home"),
            "XDG_CONFIG_HOME": directory.child("home/.config"),
            "XDG_STATE_HOME": directory.child("state"),
            "WORKTRAIL_APP_KEY": credentials ? appKey : "",
            "WORKTRAIL_SECRET_API_KEY": credentials ? secretKey : "",
            "WORKTRAIL_AUTH_TOKEN": credentials ? authToken : "",
            "WORKTRAIL_HUB_URL": "",
            "WORKTRAIL_HUB_RETRY_DELAY": "0.01",
        ].merging(extra) { _, new in new }
    }

    func run(
        _ arguments: [String],
        credentials: Bool = false,
        extra: [String: String] = [:],
        input: String? = nil
    ) throws -> ProcessResult {
        try Shell.run(
            toolPath,
            arguments,
            in: directory.path,
            environment: environment(credentials: credentials, extra: extra),
            input: input.map { Data($0.utf8) }
        )
    }

    /// Writes a credentials file as a user would, with the given mode.
    func writeCredentials(_ text: String, mode: Int = 0o600) throws {
        let directory = (credentialsPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: credentialsPath, contents: Data(text.utf8))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: credentialsPath)
    }

    var credentialsFileExists: Bool { FileManager.default.fileExists(atPath: credentialsPath) }
}

/// A stand-in expecting the CLI test credentials, with `change` applied.
private func hub(_ change: (inout StandInHub.Configuration) -> Void = { _ in }) throws -> StandInHub {
    var configuration = StandInHub.Configuration(
        credentials: StandInHub.Credentials(appKey: appKey, secretAPIKey: secretKey, authToken: authToken),
        issuedAuthToken: issuedToken
    )
    change(&configuration)
    let hub = StandInHub(configuration)
    try hub.start()
    return hub
}

private func leaksAnySecret(_ text: String) -> Bool {
    leaksSecret(text) || text.contains(issuedToken)
}

@Suite("worktrail-git auth, employees, hub check")
struct HubCommandTests {
    // MARK: - auth

    @Test func approvedTokenIsStoredPrivatelyAndUsedByTheOtherCommands() throws {
        let hub = try hub { $0.tokenScript = .activeAfter(pendingPolls: 2) }
        defer { hub.stop() }
        let home = try ToolHome()
        let url = hub.baseURL.absoluteString

        let auth = try home.run(
            ["auth", "--hub-url", url, "--poll-interval", "0.05", "--timeout", "10"],
            input: "\(appKey)\n\(secretKey)\n"
        )

        #expect(auth.status == 0, "\(auth.standardError)")
        #expect(auth.standardOutput == """
            Open this page and approve the access (a manager of the company must do it):
                \(url)/approve/standin-request-1/
            approved: the token is stored in \(home.credentialsPath)

            """)
        #expect(auth.standardError == "worktrail-git: waiting for approval: 0 s of 10 s\n")
        #expect(hub.tokenRequests.first?.scopes == ["sync-hub-data", "read-employees"])
        #expect(hub.tokenRequests.first?.confirmPolls == 3)
        let attributes = try FileManager.default.attributesOfItem(atPath: home.credentialsPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let stored = try String(contentsOfFile: home.credentialsPath, encoding: .utf8)
        #expect(stored.contains("auth_token = \(issuedToken)\n"))

        // Every command now finds the credentials in the file.
        let check = try home.run(["hub", "check", "--hub-url", url])
        #expect(check.status == 0, "\(check.standardError)")
        #expect(check.standardOutput == "ok: the Hub at \(url) accepts the credentials\n    company: Stand-in Company (id 1)\n")
        #expect(!leaksAnySecret(auth.allOutput + check.allOutput))
    }

    @Test func rejectedRequestStoresNothing() throws {
        let hub = try hub { $0.tokenScript = .rejectedAfter(pendingPolls: 1) }
        defer { hub.stop() }
        let home = try ToolHome()

        let result = try home.run(
            ["auth", "--hub-url", hub.baseURL.absoluteString, "--poll-interval", "0.05"],
            credentials: true
        )

        #expect(result.status == 1)
        #expect(result.standardError.hasSuffix("worktrail-git: the token request was rejected; nothing was stored\n"))
        #expect(!home.credentialsFileExists)
        #expect(!leaksAnySecret(result.allOutput))
    }

    @Test func requestNeverApprovedEndsAtTheTimeout() throws {
        let hub = try hub { $0.tokenScript = .alwaysPending }
        defer { hub.stop() }
        let home = try ToolHome()

        let started = Date()
        let result = try home.run(
            ["auth", "--hub-url", hub.baseURL.absoluteString, "--poll-interval", "0.2", "--timeout", "1"],
            credentials: true
        )

        #expect(result.status == 1)
        // Well below the default wait of 600 s: the --timeout of 1 s was honoured.
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(result.standardError.hasSuffix("""
            worktrail-git: the token request was not approved within 1 seconds; nothing was stored
                run 'worktrail-git auth' again when a manager can approve it

            """))
        #expect(!home.credentialsFileExists)
        #expect(!leaksAnySecret(result.allOutput))
    }

    @Test func interruptedWaitStoresNothing() throws {
        let hub = try hub { $0.tokenScript = .alwaysPending }
        defer { hub.stop() }
        let home = try ToolHome()
        let errorPath = home.directory.child("stderr")
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: toolPath)
        process.arguments = ["auth", "--hub-url", hub.baseURL.absoluteString, "--poll-interval", "0.05"]
        process.environment = ProcessInfo.processInfo.environment.merging(home.environment(credentials: true)) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        #expect(hub.waitForRequests(count: 3, timeout: 10))
        process.interrupt()
        process.waitUntilExit()

        let errors = try String(contentsOfFile: errorPath, encoding: .utf8)
        #expect(process.terminationStatus == 130)
        #expect(errors.hasSuffix("worktrail-git: interrupted; nothing was stored\n"))
        #expect(!home.credentialsFileExists)
        #expect(!leaksAnySecret(errors))
    }

    // MARK: - employees

    @Test func employeesListsEveryPage() throws {
        let hub = try hub {
            $0.employees = StandInHub.Employee.samples(count: 7)
            $0.employeesPageSize = 3
        }
        defer { hub.stop() }
        let home = try ToolHome()

        let result = try home.run(["employees", "--hub-url", hub.baseURL.absoluteString], credentials: true)

        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.first == "ID  NAME          USERNAME")
        #expect(lines.dropFirst().first == "1   User Number1  user1@example.com")
        #expect(lines.count == 8)
        #expect(hub.requests(to: StandInHub.Path.employees).count == 3)

        let json = try home.run(["employees", "--json", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(list.compactMap { $0["id"] as? Int } == Array(1...7))
        #expect(list.last?["username"] as? String == "user7@example.com")
        #expect(!leaksAnySecret(result.allOutput + json.allOutput))
    }

    // MARK: - hub check

    @Test func checkSaysTheHubIsUnreachable() throws {
        let stopped = try hub()
        let url = stopped.baseURL.absoluteString
        // Down, but holding its port, so no other test's server can answer in its place.
        stopped.takeDown()
        defer { stopped.stop() }
        let result = try ToolHome().run(["hub", "check", "--hub-url", url, "--verbose"], credentials: true)

        #expect(result.status == 1)
        #expect(result.standardError == """
            worktrail-git: cannot reach the Hub at \(url)
                connection refused
                check --hub-url or WORKTRAIL_HUB_URL, and the network

            """)
    }

    @Test func checkSaysTheURLIsNotAHub() throws {
        let hub = try hub()
        defer { hub.stop() }
        let home = try ToolHome()

        let wrongPath = try home.run(["hub", "check", "--hub-url", hub.baseURL.absoluteString + "/wrong"], credentials: true)
        #expect(wrongPath.status == 1)
        #expect(wrongPath.standardError.hasPrefix("worktrail-git: \(hub.baseURL.absoluteString)/wrong does not look like a WorkTrail Hub\n"))

        hub.enqueueFault(.nonJSON("<html>It works!</html>"))
        let notJSON = try home.run(["hub", "check", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(notJSON.status == 1)
        #expect(notJSON.standardError == """
            worktrail-git: \(hub.baseURL.absoluteString) does not look like a WorkTrail Hub
                the Hub's answer was not understood: expected a JSON object for this call, got: <html>It works!</html>
                check --hub-url or WORKTRAIL_HUB_URL

            """)
        #expect(!leaksAnySecret(wrongPath.allOutput + notJSON.allOutput))
    }

    @Test func checkSaysTheCredentialsAreWrong() throws {
        let hub = try hub()
        defer { hub.stop() }
        let result = try ToolHome().run(
            ["hub", "check", "--hub-url", hub.baseURL.absoluteString],
            credentials: true,
            extra: ["WORKTRAIL_AUTH_TOKEN": "stale-TOKEN-0000"]
        )
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("""
            worktrail-git: the Hub at \(hub.baseURL.absoluteString) refused the credentials
                the Hub refused the request: invalid auth token (auth)

            """))
        #expect(!leaksAnySecret(result.allOutput) && !result.allOutput.contains("stale-TOKEN"))
    }

    @Test func checkSaysTheTokenIsMissing() throws {
        let hub = try hub()
        defer { hub.stop() }
        let result = try ToolHome().run(
            ["hub", "check", "--hub-url", hub.baseURL.absoluteString],
            credentials: true,
            extra: ["WORKTRAIL_AUTH_TOKEN": ""]
        )
        #expect(result.status == 1)
        #expect(result.standardError == """
            worktrail-git: the Hub at \(hub.baseURL.absoluteString) answers, but credentials are missing: WORKTRAIL_AUTH_TOKEN
                run 'worktrail-git auth', or set them in the environment

            """)
    }

    // MARK: - Credentials file

    @Test func fileOthersCanReadIsRefusedWithTheFix() throws {
        let hub = try hub()
        defer { hub.stop() }
        let home = try ToolHome()
        try home.writeCredentials("app_key = \(appKey)\nsecret_api_key = \(secretKey)\nauth_token = \(authToken)\n", mode: 0o644)

        let result = try home.run(["hub", "check", "--hub-url", hub.baseURL.absoluteString])

        #expect(result.status == 1)
        #expect(result.standardError == """
            worktrail-git: the credentials file \(home.credentialsPath) can be read by other users (mode 644); \
            make it private with: chmod 600 \(home.credentialsPath)

            """)
        #expect(hub.requestCount == 0)
        #expect(!leaksAnySecret(result.allOutput))
    }

    @Test func environmentWinsOverTheFile() throws {
        let hub = try hub()
        defer { hub.stop() }
        let home = try ToolHome()
        try home.writeCredentials("app_key = \(appKey)\nsecret_api_key = \(secretKey)\nauth_token = old-TOKEN-1\n")

        let fromFile = try home.run(["hub", "check", "--hub-url", hub.baseURL.absoluteString])
        let overridden = try home.run(
            ["hub", "check", "--hub-url", hub.baseURL.absoluteString],
            extra: ["WORKTRAIL_AUTH_TOKEN": authToken]
        )

        #expect(fromFile.status == 1)
        #expect(overridden.status == 0, "\(overridden.standardError)")
    }

    // MARK: - Failing runs print no secret

    @Test func verboseFailingSyncShowsRetriesButNoSecret() throws {
        let hub = try hub()
        defer { hub.stop() }
        hub.enqueueFault(.status(503, body: "maintenance"), times: 10)
        let fixture = try GitRepositoryFixture.small()

        let result = try fixture.tool(
            ["sync", "--verbose", "--hub-url", hub.baseURL.absoluteString],
            credentials: true,
            extra: ["WORKTRAIL_HUB_RETRY_DELAY": "0.01"]
        )

        #expect(result.status == 1)
        let retries = result.standardError.split(separator: "\n").filter { $0.contains("debug: retrying hub request") }
        #expect(retries.count == 3)
        #expect(result.standardError.contains("the Hub answered HTTP 503: maintenance (gave up after 4 attempts)"))
        #expect(result.standardError.contains("3 entries stay in the outbox"))
        #expect(!leaksAnySecret(result.allOutput))
    }
}
