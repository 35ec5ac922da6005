import Foundation
import Testing
import WorkTrailHub

@Suite("CredentialsFile")
struct CredentialsFileTests {
    private func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func defaultPathFollowsXDG() {
        #expect(CredentialsFile.defaultPath(environment: ["XDG_CONFIG_HOME": "/x/config", "HOME": "/h"])
            == "/x/config/worktrail-git/credentials")
        #expect(CredentialsFile.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/worktrail-git/credentials")
        // A relative XDG_CONFIG_HOME is invalid by the specification and ignored.
        #expect(CredentialsFile.defaultPath(environment: ["XDG_CONFIG_HOME": "rel", "HOME": "/h"])
            == "/h/.config/worktrail-git/credentials")
    }

    @Test func writtenFileIsPrivateAndReadsBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = CredentialsFile(path: directory.appendingPathComponent("worktrail-git/credentials").path)
        let stored = StoredCredentials(appKey: "a-1", secretAPIKey: "s = 2", authToken: "t-3")

        try file.write(stored)

        #expect(try file.read() == stored)
        #expect(try mode(of: file.path) == 0o600)
        #expect(try mode(of: (file.path as NSString).deletingLastPathComponent) == 0o700)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (file.path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["credentials"])
        #expect(!stored.description.contains("t-3"))
    }

    @Test func fileOthersCanReadIsRefusedWithTheFix() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = CredentialsFile(path: directory.appendingPathComponent("credentials").path)
        try file.write(StoredCredentials(appKey: "a", secretAPIKey: "s", authToken: "secret-token-77"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)

        let error = #expect(throws: CredentialsFileError.self) { try file.read() }
        #expect(error?.description == "the credentials file \(file.path) can be read by other users (mode 644);"
            + " make it private with: chmod 600 \(file.path)")
    }

    @Test func missingFileIsNoCredentials() throws {
        #expect(try CredentialsFile(path: "/nonexistent-\(UUID().uuidString)/credentials").read() == nil)
    }

    @Test func badLineIsNamedWithoutItsContent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("credentials").path
        _ = FileManager.default.createFile(
            atPath: path,
            contents: Data("# comment\n\napp_key = a\nsecret-in-a-line-without-equals\n".utf8),
            attributes: [.posixPermissions: 0o600]
        )

        let error = #expect(throws: CredentialsFileError.self) { try CredentialsFile(path: path).read() }
        #expect(error?.description == "\(path), line 4: expected 'key = value'")
    }
}
