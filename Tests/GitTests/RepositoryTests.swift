import Foundation
import Git
import Testing
import TestSupport

@Suite("Opening repositories")
struct RepositoryTests {
    @Test func discoversFromASubdirectory() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.commit("first")
        let subdirectory = (fixture.path as NSString).appendingPathComponent("a/b")
        try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: true)

        let repository = try Repository.discover(containing: subdirectory)
        #expect(repository.workingDirectory == fixture.path)
        #expect(repository.commonDirectory == fixture.path + "/.git")
        #expect(!repository.isBare)
    }

    @Test func bareRepositoryHasNoWorkingTree() throws {
        let fixture = try GitRepositoryFixture(bare: true)
        try fixture.importHistory(commits: 30)
        let repository = try Repository.discover(containing: fixture.path)
        #expect(repository.isBare)
        #expect(repository.workingDirectory == nil)
        #expect(try repository.references(matching: "refs/heads/*").count >= 1)
    }

    @Test func worktreeSharesTheCommonDirectory() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.commit("first")
        let worktree = fixture.directory.child("second")
        try fixture.git(["worktree", "add", "-q", "-b", "side", worktree])

        let repository = try Repository.discover(containing: worktree)
        #expect(repository.commonDirectory == fixture.path + "/.git")
        #expect(repository.gitDirectory != repository.commonDirectory)
    }

    @Test func pathOutsideAnyRepositoryIsNotFound() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: GitError.self) {
            try Repository.discover(containing: directory.path)
        }
        do {
            _ = try Repository.discover(containing: directory.path)
        } catch {
            #expect(error.code == GitError.notFound.code)
        }
    }

    @Test func emptyRepositoryHasNoHeadAndNoBranches() throws {
        let fixture = try GitRepositoryFixture()
        let repository = try Repository.discover(containing: fixture.path)
        #expect(try repository.headCommit() == nil)
        #expect(try repository.references(matching: "refs/heads/*").isEmpty)
    }

    @Test func shallowCloneWalksWithoutMissingParents() throws {
        let origin = try GitRepositoryFixture()
        try origin.importHistory(commits: 50)
        let clone = origin.directory.child("shallow")
        try origin.git(["clone", "-q", "--depth", "5", "--no-single-branch", "file://\(origin.path)", clone])

        let repository = try Repository.discover(containing: clone)
        #expect(repository.isShallow)
        let tips = try repository.references(matching: "refs/remotes/*").map(\.commit)
        var count = 0
        try repository.forEachCommit(reachableFrom: tips) { _ in count += 1 }
        let expected = try origin.git(["rev-list", "--all", "--count"], in: clone)
        #expect(count == Int(expected.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func configurationReadsStringsBooleansAndRepeatedKeys() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.git(["config", "worktrail.merges", "off"])
        try fixture.git(["config", "--add", "worktrail.email", "a@example.com"])
        try fixture.git(["config", "--add", "worktrail.email", "b@example.com"])
        try fixture.git(["config", "worktrail.privacy", "maybe"])

        let configuration = try Repository.discover(containing: fixture.path).configuration()
        #expect(try configuration.bool("worktrail.merges") == false)
        #expect(try configuration.strings("worktrail.email") == ["a@example.com", "b@example.com"])
        #expect(try configuration.string("user.email") == "dev@example.com")
        #expect(try configuration.string("worktrail.missing") == nil)
        #expect(throws: GitError.self) { try configuration.bool("worktrail.privacy") }
    }

    @Test func remoteURLAppliesInsteadOf() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.git(["remote", "add", "origin", "gh:acme/widgets.git"])
        try fixture.git(["config", "url.git@github.com:.insteadOf", "gh:"])
        let repository = try Repository.discover(containing: fixture.path)
        #expect(try repository.remoteURL(named: "origin") == "git@github.com:acme/widgets.git")
        #expect(try repository.remoteURL(named: "upstream") == nil)
    }
}
