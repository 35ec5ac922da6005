import Foundation
import Git

/// A commit a scan found, with what the engine needs to decide about it.
struct ScannedCommit {
    var commit: Commit
    /// The author's e-mail after the mailmap, lowercased.
    var authorEmail: String

    /// Author, author time and subject: what a rewrite (amend, rebase, cherry-pick) keeps.
    var workKey: String { "\(authorEmail)\u{1F}\(commit.authorTime)\u{1F}\(commit.subject)" }
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
    let mailmap: Mailmap
    /// The e-mails whose commits are taken, each also as the mailmap rewrites it; nil for all.
    private let authorEmails: Set<String>?

    init(repository: Repository, settings: RepositorySettings, mailmap: Mailmap) {
        self.repository = repository
        self.settings = settings
        self.mailmap = mailmap
        authorEmails = settings.authorEmails.map { emails in
            emails.union(emails.map { mailmap.resolve(Mailmap.Identity(name: "", email: $0)).email.lowercased() })
        }
    }

    /// The commits to scan from: the references matching the configured globs, plus every
    /// worktree's `HEAD` (a detached `HEAD` holds commits no branch may have).
    func currentTips() throws -> [String: String] {
        var tips: [String: String] = [:]
        for glob in settings.refGlobs {
            for (name, commit) in try repository.references(matching: glob) where !Self.isNeverScanned(name) {
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
        let tips = try currentTips()
        let fingerprint = settings.fingerprint
        let sameSettings = previous.fingerprint == fingerprint
        if sameSettings && previous.tips == tips {
            return ScanResult(commits: [], tips: tips, fingerprint: fingerprint, commitsRead: 0, upToDate: true)
        }

        let tipIDs = Set(tips.values).compactMap { ObjectID(hex: $0) }
        var candidates: [ScannedCommit] = []
        var commitsRead = 0
        var emails = AuthorEmails(mailmap: mailmap)
        let incremental: [ObjectID]? = sameSettings && !previous.tips.isEmpty
            ? try? repository.commitIDs(
                reachableFrom: tipIDs,
                excluding: Set(previous.tips.values).compactMap { ObjectID(hex: $0) }
            )
            : nil
        if let incremental {
            for id in incremental {
                let commit = try repository.commit(id)
                commitsRead += 1
                if let taken = take(commit, emails: &emails) { candidates.append(taken) }
            }
        } else {
            try repository.forEachCommit(reachableFrom: tipIDs) { commit in
                commitsRead += 1
                if let taken = take(commit, emails: &emails) { candidates.append(taken) }
            }
        }

        let known = try isKnown(candidates.map(\.commit.id.hex))
        if !known.isEmpty {
            candidates.removeAll { known.contains($0.commit.id.hex) }
        }
        candidates.sort { ($0.commit.authorTime, $0.commit.id) < ($1.commit.authorTime, $1.commit.id) }
        return ScanResult(
            commits: candidates, tips: tips, fingerprint: fingerprint, commitsRead: commitsRead, upToDate: false
        )
    }

    /// Author e-mails after the mailmap, lowercased, remembered per identity: a history has
    /// few authors and many commits.
    private struct AuthorEmails {
        let mailmap: Mailmap
        var resolved: [Mailmap.Identity: String] = [:]

        mutating func email(of author: Mailmap.Identity) -> String {
            if let known = resolved[author] { return known }
            let email = mailmap.resolve(author).email.lowercased()
            resolved[author] = email
            return email
        }
    }

    /// The commit with its author's e-mail when it becomes an entry: merges as configured, and
    /// authors by e-mail after the mailmap (compared without regard to case); nil otherwise.
    private func take(_ commit: Commit, emails: inout AuthorEmails) -> ScannedCommit? {
        if commit.isMerge && !settings.includeMerges { return nil }
        if let since = settings.since, commit.authorTime < since { return nil }
        let email = emails.email(of: commit.author)
        if let authorEmails, !authorEmails.contains(email) { return nil }
        return ScannedCommit(commit: commit, authorEmail: email)
    }
}
