import Foundation
import Git
import Testing
import TestSupport

@Suite("Reading history")
struct HistoryTests {
    /// Every commit reachable from the branches, as `git log --format='%H %at %ae %s'` shows it.
    private func scanLines(_ fixture: GitRepositoryFixture) throws -> [String] {
        let repository = try Repository.discover(containing: fixture.path)
        let tips = try repository.references(matching: "refs/heads/*").map(\.commit)
        var lines: [String] = []
        try repository.forEachCommit(reachableFrom: tips) { commit in
            lines.append("\(commit.id.hex) \(commit.authorTime) \(commit.author.email) \(commit.subject)")
        }
        return lines
    }

    @Test func fullWalkMatchesGitLogOnBranchesMergesAndAuthors() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.importHistory(commits: 600)
        let oracle = try fixture.logLines()
        let branches = try fixture.git(["branch", "--list"]).split(separator: "\n")
        let merges = try fixture.git(["rev-list", "--branches", "--merges", "--count"])

        #expect(oracle.count == 600)
        #expect(branches.count > 5)
        #expect((Int(merges.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 5)
        #expect(try scanLines(fixture).sorted() == oracle.sorted())
    }

    @Test func incrementalWalkMatchesRevList() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.importHistory(commits: 200)
        let old = try fixture.git(["rev-parse", "main~10", "feature-1"])
            .split(separator: "\n").compactMap { ObjectID(hex: $0) }
        let repository = try Repository.discover(containing: fixture.path)
        let tips = try repository.references(matching: "refs/heads/*").map(\.commit)

        let ids = try repository.commitIDs(reachableFrom: tips, excluding: old)
        let oracle = try fixture.git(["rev-list", "--branches", "^main~10", "^feature-1"])
            .split(separator: "\n").map(String.init)
        #expect(ids.map(\.hex).sorted() == oracle.sorted())
        #expect(!ids.isEmpty)
    }

    // MARK: - Where commits are stored

    /// The scan finds commits through the pack indexes and reads the rest through libgit2: this
    /// history has commits stored as deltas, in two packs, loose, and unreachable ones in a pack.
    @Test func commitsInPacksAsDeltasLooseAndUnreachableMatchGitLog() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.importHistory(commits: 300)
        let body = String(repeating: "A long body that packs well as a delta. ", count: 40)
        for number in 0..<12 {
            try fixture.git(["commit", "-q", "--allow-empty", "-m", "Long message \(number)", "-m", body])
        }
        try fixture.git(["checkout", "-q", "-b", "abandoned"])
        try fixture.git(["commit", "-q", "--allow-empty", "-m", "Only on a deleted branch", "-m", body])
        try fixture.git(["repack", "-adq", "--window=50", "--depth=50"])
        try fixture.git(["checkout", "-q", "main"])
        try fixture.git(["branch", "-q", "-D", "abandoned"])

        // A second pack, then loose commits on top.
        try fixture.commit("Packed on its own", time: 1_800_000_000)
        try fixture.git(["repack", "-dq"])
        try fixture.commit("Loose one", time: 1_800_000_100)
        try fixture.git(["checkout", "-q", "-b", "loose-branch"])
        try fixture.commit("Loose two", time: 1_800_000_200)

        let packed = try fixture.git(["count-objects", "-v"])
        #expect(packed.contains("packs: 2"))
        let entries = try fixture.git(["verify-pack", "-v"] + packIndexes(fixture))
        let deltaCommits = entries.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 7 && fields[1] == "commit"
        }
        #expect(!deltaCommits.isEmpty)

        let lines = try scanLines(fixture)
        #expect(lines.count == Set(lines).count)
        #expect(lines.sorted() == (try fixture.logLines()).sorted())
        #expect(!lines.contains { $0.hasSuffix("Only on a deleted branch") })
    }

    private func packIndexes(_ fixture: GitRepositoryFixture) throws -> [String] {
        let directory = fixture.path + "/.git/objects/pack"
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".idx") }
            .map { directory + "/" + $0 }
    }

    /// A pack that cannot be read directly (here its data file is cut short) leaves its commits
    /// to libgit2, which names the damage instead of the scan skipping commits silently.
    @Test func damagedPackIsAnErrorNotAShorterHistory() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.importHistory(commits: 50)
        let tips = try Repository.discover(containing: fixture.path).references(matching: "refs/heads/*").map(\.commit)
        let index = try #require(try packIndexes(fixture).first)
        let pack = String(index.dropLast(4)) + ".pack"
        let data = try Data(contentsOf: URL(fileURLWithPath: pack))
        try FileManager.default.removeItem(atPath: pack)
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: pack))

        let repository = try Repository.discover(containing: fixture.path)
        #expect(throws: GitError.self) { try repository.forEachCommit(reachableFrom: tips) { _ in } }
    }

    @Test func subjectJoinsTheFirstParagraphLikeGit() throws {
        let fixture = try GitRepositoryFixture()
        let messages = [
            "One line",
            "Two lines\nof subject\n\nBody",
            "\n\n  Indented after blank lines  \n\nbody",
            "Trailing spaces   \t\nnext",
            "Tabs\tinside\tthe subject",
        ]
        for (index, message) in messages.enumerated() {
            try fixture.git(
                ["commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", message],
                environment: ["GIT_AUTHOR_DATE": "@\(1_700_000_000 + index) +0000"]
            )
        }
        #expect(try scanLines(fixture).sorted() == fixture.logLines().sorted())
    }

    // MARK: - Encodings

    @Test func latin1SubjectIsDecodedFromItsDeclaredEncoding() throws {
        let fixture = try GitRepositoryFixture()
        let subject: [UInt8] = Array("Caf".utf8) + [0xE9] + Array(" cr".utf8) + [0xE8, 0x6D, 0x65]  // "Café crème"
        let message = Data(subject + Array("\n".utf8))
        let file = fixture.directory.child("message")
        try message.write(to: URL(fileURLWithPath: file))
        try fixture.git(["-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty", "-F", file])

        let raw = try fixture.git(["cat-file", "commit", "HEAD"])
        #expect(raw.contains("encoding ISO-8859-1"))
        let repository = try Repository.discover(containing: fixture.path)
        let head = try #require(try repository.headCommit())
        #expect(try repository.commit(head).subject == "Café crème")
        #expect(try fixture.git(["log", "-1", "--format=%s"]) == "Café crème\n")
    }

    @Test func messageValidInNoEncodingStillGivesASubject() throws {
        let fixture = try GitRepositoryFixture()
        let tree = try fixture.git(["hash-object", "-t", "tree", "-w", "--stdin"], input: Data())
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var body = Data("tree \(tree)\nauthor Dee <dev@example.com> 1700000000 +0000\n".utf8)
        body += Data("committer Dee <dev@example.com> 1700000000 +0000\nencoding no-such-charset\n\n".utf8)
        body += Data([0x42, 0x61, 0x64, 0x20, 0xFF, 0xFE, 0xC3, 0x28, 0x0A])
        let id = try fixture.writeRawCommit(body, updating: "refs/heads/main")

        let repository = try Repository.discover(containing: fixture.path)
        let commit = try repository.commit(try #require(ObjectID(hex: id)))
        #expect(commit.subject.hasPrefix("Bad "))
        #expect(commit.subject.contains("\u{FFFD}"))
        #expect(commit.authorTime == 1_700_000_000)
    }

    @Test func malformedAuthorLineDoesNotStopTheScan() throws {
        let fixture = try GitRepositoryFixture()
        let tree = try fixture.git(["hash-object", "-t", "tree", "-w", "--stdin"], input: Data())
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let body = Data("tree \(tree)\nauthor no email here\ncommitter x <y> 1 +0000\n\nsubject\n".utf8)
        let id = try fixture.writeRawCommit(body, updating: "refs/heads/main")
        let repository = try Repository.discover(containing: fixture.path)
        let commit = try repository.commit(try #require(ObjectID(hex: id)))
        #expect(commit.author.email == "")
        #expect(commit.authorTime == 0)
        #expect(commit.subject == "subject")
    }

    // MARK: - Mailmap

    @Test func mailmapJoinsAnOldAddress() throws {
        let fixture = try GitRepositoryFixture()
        try fixture.importHistory(commits: 20)
        let repository = try Repository.discover(containing: fixture.path)
        let mailmap = try Mailmap(repository: repository)
        let resolved = mailmap.resolve(Mailmap.Identity(name: "Carol Coder", email: "carol@old.example"))
        #expect(resolved.email == "carol@example.com")
        let unchanged = mailmap.resolve(Mailmap.Identity(name: "Bob", email: "bob@example.com"))
        #expect(unchanged.email == "bob@example.com")
    }
}

@Suite("Mailmap look-ups")
struct MailmapTests {
    /// Long names and addresses are not stored inline in a Swift string; libgit2 may answer with
    /// the very C strings it was given, which must still be alive when they are read.
    @Test func longIdentitiesResolveWithAndWithoutAMapping() throws {
        let fixture = try GitRepositoryFixture()
        let longName = String(repeating: "Maximiliane ", count: 6) + "Mustermann"
        let oldEmail = "maximiliane.mustermann.old.address@subdomain.example.com"
        let newEmail = "maximiliane.mustermann@engineering.example.com"
        try "\(longName) <\(newEmail)> <\(oldEmail)>\n".write(
            toFile: fixture.path + "/.mailmap",
            atomically: true,
            encoding: .utf8
        )
        let mailmap = try Mailmap(repository: Repository.discover(containing: fixture.path))

        let mapped = mailmap.resolve(Mailmap.Identity(name: longName, email: oldEmail))
        #expect(mapped.email == newEmail)
        #expect(mapped.name == longName)
        let unmappedEmail = "somebody.with.a.rather.long.address@example.com"
        let unmapped = mailmap.resolve(Mailmap.Identity(name: longName, email: unmappedEmail))
        #expect(unmapped.email == unmappedEmail)
        #expect(unmapped.name == longName)
    }
}
