import Foundation

/// Generates a repository history with a realistic shape, as a `git fast-import` stream:
/// a main line, feature branches merged back with merge commits, a few branches left
/// unmerged, several authors (one of them under two addresses joined by a `.mailmap`),
/// same-second commits and multi-line or non-ASCII subjects.
public struct HistoryGenerator {
    public struct Author: Sendable {
        public var name: String
        public var email: String
    }

    public static let authors = [
        Author(name: "Dee Veloper", email: "dev@example.com"),
        Author(name: "Alice Archer", email: "alice@example.com"),
        Author(name: "Bob Builder", email: "bob@example.com"),
        Author(name: "Carol Coder", email: "carol@old.example"),
        Author(name: "Carol Coder", email: "carol@example.com"),
    ]

    /// `.mailmap` joining Carol's old address to her current one.
    public static let mailmap = "Carol Coder <carol@example.com> <carol@old.example>\n"

    public let commits: Int
    public let baseTime: Int64
    public let seed: UInt64
    private var state: UInt64

    public init(commits: Int, seed: UInt64 = 42, baseTime: Int64 = 1_600_000_000) {
        self.commits = commits
        self.baseTime = baseTime
        self.seed = seed
        self.state = seed
    }

    /// A small deterministic generator (an LCG), so a fixture is the same on every run.
    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    /// The fast-import stream.
    public mutating func stream() -> Data {
        var out = Data()
        var mark = 0
        var time = baseTime
        var mainHead: Int?
        var branchNumber = 0
        var made = 0

        func append(_ text: String) { out.append(Data(text.utf8)) }
        func data(_ text: String) {
            let bytes = Data(text.utf8)
            append("data \(bytes.count)\n")
            out.append(bytes)
            append("\n")
        }
        func commit(
            ref: String, author: Author, message: String, from: Int?, merge: Int?, file: String, content: String
        ) -> Int {
            mark += 1
            append("commit \(ref)\nmark :\(mark)\n")
            append("author \(author.name) <\(author.email)> \(time) +0000\n")
            append("committer \(author.name) <\(author.email)> \(time) +0000\n")
            data(message)
            if let from { append("from :\(from)\n") }
            if let merge { append("merge :\(merge)\n") }
            append("M 100644 inline \(file)\n")
            data(content)
            made += 1
            return mark
        }

        mainHead = commit(
            ref: "refs/heads/main", author: Self.authors[0], message: "Initial commit (history \(seed))\n",
            from: nil, merge: nil, file: ".mailmap", content: Self.mailmap
        )
        while made < commits {
            // Mostly a step of a few minutes; now and then two commits in the same second.
            time += next(8) == 0 ? 0 : Int64(60 + next(7200))
            let roll = next(20)
            let author = Self.authors[next(Self.authors.count)]
            if roll == 0 && made + 3 < commits {
                // A feature branch of a few commits, merged back into main (or left open).
                branchNumber += 1
                let ref = "refs/heads/feature-\(branchNumber)"
                var head = mainHead
                for step in 0..<(1 + next(4)) where made < commits - 1 {
                    time += Int64(30 + next(600))
                    head = commit(
                        ref: ref, author: author, message: "Feature \(branchNumber) step \(step)\n",
                        from: head, merge: nil, file: "feature-\(branchNumber).txt", content: "\(made)\n"
                    )
                }
                if next(4) != 0 {
                    time += 10
                    mainHead = commit(
                        ref: "refs/heads/main", author: Self.authors[next(Self.authors.count)],
                        message: "Merge branch 'feature-\(branchNumber)'\n", from: mainHead, merge: head,
                        file: "merges.txt", content: "\(made)\n"
                    )
                }
            } else {
                mainHead = commit(
                    ref: "refs/heads/main", author: author, message: message(number: made),
                    from: mainHead, merge: nil, file: "file-\(next(20)).txt", content: "\(made)\n"
                )
            }
        }
        return out
    }

    /// A commit message: usually one line, sometimes a two-line first paragraph (git joins it
    /// into one subject), a body, trailing spaces or non-ASCII text.
    private mutating func message(number: Int) -> String {
        switch next(10) {
        case 0: "Fix parsing of\nnested quotes in #\(number)\n\nLonger explanation.\n"
        case 1: "Übersetzung aktualisiert (\(number)) – ça marche  \n"
        case 2: "\n\nLeading blank lines before subject \(number)\n"
        default: "Change number \(number)\n\nBody text.\n"
        }
    }
}

extension GitRepositoryFixture {
    /// Fills the (empty) repository with a generated history and checks out `main`.
    public func importHistory(commits: Int, seed: UInt64 = 42) throws {
        var generator = HistoryGenerator(commits: commits, seed: seed)
        try git(["fast-import", "--quiet"], input: generator.stream())
        if (try? git(["rev-parse", "--is-bare-repository"]))?.hasPrefix("true") != true {
            try git(["checkout", "-q", "-f", "main"])
        }
    }
}
