import Foundation
import Git

/// A commit a scan found, with what the engine needs to decide about it.
///
/// It names its commit by number in the scan's table instead of holding it, so that a scan of
/// a long history keeps a few dozen bytes per commit until the entries are built.
struct ScannedCommit {
    let table: CommitTable
    let number: Int
    /// The author's e-mail after the mailmap, lowercased.
    var authorEmail: String

    var id: ObjectID { table.id(at: number) }

    var commit: Commit { table.commit(at: number) }

    /// Author, author time and subject: what a rewrite (amend, rebase, cherry-pick) keeps.
    var workKey: String { "\(authorEmail)\u{1F}\(table.authorTime(at: number))\u{1F}\(table.subject(at: number))" }

    /// `workKey` hashed to 128 bits, made without building the key: enough to tell the work
    /// keys of one scan apart. The bytes are compared, not canonical Unicode equivalence as
    /// `String` would, as the checkpoint compares stored keys too.
    var workHash: WorkHash {
        var email = authorEmail
        let time = table.authorTime(at: number)
        return email.withUTF8 { emailBytes in
            table.withSubject(at: number) { subject in
                func digest(_ salt: UInt8) -> Int {
                    var hasher = Hasher()
                    hasher.combine(salt)
                    hasher.combine(bytes: UnsafeRawBufferPointer(emailBytes))
                    hasher.combine(0x1F as UInt8)
                    hasher.combine(time)
                    hasher.combine(bytes: UnsafeRawBufferPointer(subject))
                    return hasher.finalize()
                }
                return WorkHash(high: digest(1), low: digest(2))
            }
        }
    }
}

/// A work key hashed to 128 bits (`ScannedCommit.workHash`).
struct WorkHash: Hashable {
    var high: Int
    var low: Int

    func hash(into hasher: inout Hasher) {
        hasher.combine(high)
    }
}

/// What a scan found.
struct ScanResult {
    /// Commits the checkpoint did not know that the settings take, oldest first.
    var commits: [ScannedCommit]
    /// The tips the scan covered, by reference name; recorded so the next scan starts there.
    var tips: [String: String]
    var fingerprint: String
    /// How many commits were read.
    var commitsRead: Int
    /// True when nothing changed since the last scan, so no commit was read.
    var upToDate: Bool
}

/// Finds the commits that are new since the last scan and builds their entries.
struct Scanner {
    let repository: Repository
    let settings: RepositorySettings
    /// Reads the mailmap, which only a scan that reads commits needs.
    let mailmap: () throws -> Mailmap

    init(repository: Repository, settings: RepositorySettings, mailmap: @escaping () throws -> Mailmap) {
        self.repository = repository
        self.settings = settings
        self.mailmap = mailmap
    }

    /// The commits to scan from: the references matching the configured globs, plus every
    /// worktree's `HEAD` (a detached `HEAD` holds commits no branch may have).
    ///
    /// - Parameter known: the tips of the last scan, which are commits for sure; a reference
    ///   still pointing at one is taken without reading the object.
    func currentTips(known: [String: String] = [:]) throws -> [String: String] {
        let knownCommits = Set(known.values.compactMap { ObjectID(hex: $0) })
        var tips: [String: String] = [:]
        for glob in settings.refGlobs {
            for (name, commit) in try repository.references(matching: glob, knownCommits: knownCommits)
            where !Self.isNeverScanned(name) {
                tips[name] = commit.hex
            }
        }
        if let head = try repository.headCommit() {
            tips["HEAD"] = head.hex
        }
        for (name, commit) in worktreeHeads() {
            tips[name] = commit
        }
        return tips
    }

    /// Stash entries, notes and replacement objects are not work of their own, whatever the globs.
    static func isNeverScanned(_ reference: String) -> Bool {
        reference == "refs/stash" || reference.hasPrefix("refs/notes/") || reference.hasPrefix("refs/replace/")
    }

    /// Detached `HEAD`s of every worktree, read from their `HEAD` files: `<common>/HEAD` and
    /// `<common>/worktrees/<name>/HEAD`. A `HEAD` naming a branch is covered by the branches.
    private func worktreeHeads() -> [String: String] {
        let common = repository.commonDirectory
        var files = [("worktree:main", (common as NSString).appendingPathComponent("HEAD"))]
        let worktrees = (common as NSString).appendingPathComponent("worktrees")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: worktrees)) ?? [] {
            files.append(("worktree:\(name)", "\(worktrees)/\(name)/HEAD"))
        }
        var heads: [String: String] = [:]
        for (name, path) in files {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let id = ObjectID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { continue }
            heads[name] = id.hex
        }
        return heads
    }

    /// Scans what is new since `previous`, asking `isKnown` which commits were recorded before.
    ///
    /// When the settings are unchanged, only commits reachable from the current tips and not
    /// from the previous ones are read. Otherwise, or when that walk fails (a shallow boundary,
    /// say), the whole history is read and `isKnown` sorts out what was recorded.
    func scan(
        previous: (fingerprint: String?, tips: [String: String]),
        isKnown: ([String]) throws -> Set<String>
    ) throws -> ScanResult {
        let tips = try currentTips(known: previous.tips)
        let fingerprint = settings.fingerprint
        let sameSettings = previous.fingerprint == fingerprint
        if sameSettings && previous.tips == tips {
            return ScanResult(commits: [], tips: tips, fingerprint: fingerprint, commitsRead: 0, upToDate: true)
        }

        let tipIDs = Set(tips.values).compactMap { ObjectID(hex: $0) }
        let incremental: [ObjectID]? =
            sameSettings && !previous.tips.isEmpty
            ? try? repository.commitIDs(
                reachableFrom: tipIDs,
                excluding: Set(previous.tips.values).compactMap { ObjectID(hex: $0) }
            )
            : nil
        let (table, numbers) =
            if let incremental {
                try repository.commits(incremental)
            } else {
                try repository.reachableCommits(from: tipIDs)
            }

        let mailmap = try mailmap()
        // The e-mails whose commits are taken, each also as the mailmap rewrites it; nil for all.
        let taken = settings.authorEmails.map { emails in
            emails.union(emails.map { mailmap.resolve(Mailmap.Identity(name: "", email: $0)).email.lowercased() })
        }
        var emails = AuthorEmails(mailmap: mailmap, identities: table.identities, taken: taken)
        var candidates: [ScannedCommit] = []
        for number in numbers {
            if let taken = take(number, of: table, emails: &emails) { candidates.append(taken) }
        }
        candidates = try removingKnown(candidates, isKnown: isKnown)
        return ScanResult(
            commits: Self.sortedByTime(candidates),
            tips: tips,
            fingerprint: fingerprint,
            commitsRead: numbers.count,
            upToDate: false
        )
    }

    /// `candidates` without the commits `isKnown` names, asked a slice at a time so that a whole
    /// history's ids are never spelt out at once.
    private func removingKnown(
        _ candidates: [ScannedCommit],
        isKnown: ([String]) throws -> Set<String>
    ) throws -> [ScannedCommit] {
        var kept: [ScannedCommit] = []
        kept.reserveCapacity(candidates.count)
        var start = 0
        repeat {
            let slice = candidates[start..<min(start + 4096, candidates.count)]
            let known = try isKnown(slice.map(\.id.hex))
            if known.isEmpty {
                kept.append(contentsOf: slice)
            } else {
                kept.append(contentsOf: slice.lazy.filter { !known.contains($0.id.hex) })
            }
            start += 4096
        } while start < candidates.count
        return kept
    }

    /// Oldest first, commits of the same second by id: the order entries are classified and
    /// queued in, so that of two commits with the same work key the same one is always kept.
    ///
    /// Sorts packed integer keys (time above the position) rather than the commits themselves;
    /// only runs of equal times are then ordered by id.
    static func sortedByTime(_ commits: [ScannedCommit]) -> [ScannedCommit] {
        guard commits.count > 1 else { return commits }
        let times = commits.map { $0.table.authorTime(at: $0.number) }
        let oldest = times.min() ?? 0
        let span = UInt64(bitPattern: (times.max() ?? 0) &- oldest)
        let positionBits = UInt64.bitWidth - (commits.count - 1).leadingZeroBitCount
        guard span >> UInt64(UInt64.bitWidth - positionBits) == 0 else {
            return commits.indices
                .sorted { (times[$0], commits[$0].id) < (times[$1], commits[$1].id) }
                .map { commits[$0] }
        }
        var keys = times.enumerated().map { position, time in
            UInt64(bitPattern: time &- oldest) << UInt64(positionBits) | UInt64(position)
        }
        keys.sort()
        let mask: UInt64 = (1 << UInt64(positionBits)) - 1
        var order = keys.map { Int($0 & mask) }
        var runStart = 0
        while runStart < order.count {
            var runEnd = runStart + 1
            while runEnd < order.count, times[order[runEnd]] == times[order[runStart]] { runEnd += 1 }
            if runEnd - runStart > 1 {
                order[runStart..<runEnd].sort { commits[$0].id < commits[$1].id }
            }
            runStart = runEnd
        }
        return order.map { commits[$0] }
    }

    /// Author e-mails after the mailmap, lowercased, remembered per identity number: a history
    /// has few authors and many commits.
    private struct AuthorEmails {
        let mailmap: Mailmap
        let identities: [Mailmap.Identity]
        /// The e-mails whose commits are taken; nil for all.
        let taken: Set<String>?
        var resolved: [String?]

        init(mailmap: Mailmap, identities: [Mailmap.Identity], taken: Set<String>?) {
            self.mailmap = mailmap
            self.identities = identities
            self.taken = taken
            resolved = Array(repeating: nil, count: identities.count)
        }

        mutating func email(of identity: Int) -> String {
            if let known = resolved[identity] { return known }
            let email = mailmap.resolve(identities[identity]).email.lowercased()
            resolved[identity] = email
            return email
        }
    }

    /// The commit with its author's e-mail when it becomes an entry: merges as configured, and
    /// authors by e-mail after the mailmap (compared without regard to case); nil otherwise.
    private func take(_ number: Int, of table: CommitTable, emails: inout AuthorEmails) -> ScannedCommit? {
        if table.isMerge(at: number) && !settings.includeMerges { return nil }
        if let since = settings.since, table.authorTime(at: number) < since { return nil }
        let email = emails.email(of: table.authorNumber(at: number))
        if let taken = emails.taken, !taken.contains(email) { return nil }
        return ScannedCommit(table: table, number: number, authorEmail: email)
    }
}
