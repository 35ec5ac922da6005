import Foundation
import Git
import WorkTrailHub

/// Why a repository cannot be synced as configured; each message says what to change.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// How one repository's commits become entries: read from its git configuration.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `user.email`, `worktrail.email` (repeatable) | whose commits are the user's own | |
/// | `worktrail.privacy` | `private` or `company` | `private` |
/// | `worktrail.employeeId` | the Hub employee the entries belong to | none |
/// | `worktrail.linkTemplate` | commit link, with `{sha}` and `{repo}` | from the `origin` remote |
/// | `worktrail.forge` | link style for a self-hosted forge | from the host name |
/// | `worktrail.refs` (repeatable) | the references scanned, as globs | `refs/heads/*` |
/// | `worktrail.merges` | whether merge commits are entries | `true` |
/// | `worktrail.hubUrl` | the Hub's base URL | `https://worktrail.net` |
/// | `worktrail.since` | how far back a first sync reaches (a date) | the whole history |
/// | `worktrail.mode` | `personal` (your own commits) or `company` (every author, as employees) | `personal` |
/// | `worktrail.employee.<id>.email` | more addresses of employee `<id>` (repeatable) | |
/// | `worktrail.employeeCacheMinutes` | how long the Hub's employee list is reused | 60 |
struct RepositorySettings {
    var repositoryName: String
    /// Makes commit links; holds the reason instead when no link can be made, which is only an
    /// error once there is a commit to deliver.
    var linker: Result<CommitLinker, CommitLinkError>
    var privacy: Privacy
    var employeeID: Int?
    /// The author e-mails (lowercased, after the mailmap) whose commits are taken; nil for all.
    var authorEmails: Set<String>?
    var refGlobs: [String]
    var includeMerges: Bool
    /// `worktrail.hubUrl`, when set.
    var hubURL: String?
    /// Commits authored before this time (seconds since 1970) are left out (`worktrail.since`).
    var since: Int64?
    /// Company mode: every author is matched to an employee; personal mode takes the user's own.
    var companyMode: Bool
    /// Employee ids by e-mail (lowercased) from `worktrail.employee.<id>.email`.
    var employeeAliases: [String: Int]
    /// How old the cached employee list may get before it is fetched again, in seconds.
    var employeeCacheAge: Double
    /// For a shallow clone, identifies where its history is cut off. Deepening the clone
    /// (`git fetch --deepen`, `--unshallow`) brings older commits without moving any branch,
    /// so the cut must be part of the fingerprint for the next scan to look at them.
    var shallowBoundary = ""

    /// The longest summary sent, in characters; longer subjects are cut with an ellipsis.
    static let summaryLimit = 1000

    /// Identifies the choices that decide which commits a scan takes. When it changes, the
    /// recorded branch tips no longer describe what was taken, and the next scan starts over
    /// (commits already recorded are still recognised).
    var fingerprint: String {
        let emails = authorEmails.map { $0.sorted().joined(separator: ",") } ?? "*"
        return "v1|authors=\(emails)|refs=\(refGlobs.joined(separator: ","))|merges=\(includeMerges)"
            + "|since=\(since.map(String.init) ?? "")|shallow=\(shallowBoundary)"
    }

    static func read(
        repository: Repository,
        configuration: Configuration,
        allAuthors: Bool,
        linkTemplate: String? = nil
    ) throws -> RepositorySettings {
        let remote = try remoteURL(of: repository)
        let name = repositoryName(repository: repository, remote: remote)
        let template = try linkTemplate ?? configuration.string("worktrail.linkTemplate")
        let forge = try configuration.string("worktrail.forge")
        let linker = Result { () throws(CommitLinkError) in
            try CommitLinker(remoteURL: remote, template: template, forge: forge, repositoryName: name)
        }

        let privacyText = try configuration.string("worktrail.privacy") ?? Privacy.private.rawValue
        guard let privacy = Privacy(rawValue: privacyText.lowercased()) else {
            throw SettingsError(
                "git config worktrail.privacy is '\(privacyText)'; set it to 'private' or 'company'"
            )
        }

        var employeeID: Int?
        if let text = try configuration.string("worktrail.employeeId") {
            guard let id = Int(text.trimmingCharacters(in: .whitespaces)), id > 0 else {
                throw SettingsError(
                    "git config worktrail.employeeId is '\(text)'; it must be a Hub employee id (a number)"
                )
            }
            employeeID = id
        }

        let mode = try configuration.string("worktrail.mode")?.lowercased() ?? "personal"
        guard mode == "personal" || mode == "company" else {
            throw SettingsError("git config worktrail.mode is '\(mode)'; set it to 'personal' or 'company'")
        }
        let companyMode = mode == "company"

        var authorEmails: Set<String>?
        if !allAuthors && !companyMode {
            guard let own = try configuration.string("user.email"), !own.isEmpty else {
                throw SettingsError(
                    "git config user.email is not set, so your own commits cannot be told apart;"
                        + " set it (git config user.email you@example.com) or pass --all-authors"
                )
            }
            let aliases = try configuration.strings("worktrail.email")
            authorEmails = Set(([own] + aliases).map { $0.lowercased() })
        }

        let refs = try configuration.strings("worktrail.refs").filter { !$0.isEmpty }
        var since: Int64?
        if let text = try configuration.string("worktrail.since") {
            guard let time = parseDate(text) else {
                throw SettingsError(
                    "git config worktrail.since is '\(text)'; give a date such as 2024-01-31 or 2024-01-31T09:00:00Z"
                )
            }
            since = time
        }
        let cacheMinutes =
            try configuration.string("worktrail.employeeCacheMinutes").map { text in
                guard let minutes = Double(text), minutes >= 0 else {
                    throw SettingsError(
                        "git config worktrail.employeeCacheMinutes is '\(text)'; give a number of minutes"
                    )
                }
                return minutes
            } ?? 60
        return RepositorySettings(
            repositoryName: name,
            linker: linker,
            privacy: privacy,
            employeeID: employeeID,
            authorEmails: authorEmails,
            refGlobs: refs.isEmpty ? ["refs/heads/*"] : refs,
            includeMerges: try boolean("worktrail.merges", in: configuration) ?? true,
            hubURL: try configuration.string("worktrail.hubUrl"),
            since: since,
            companyMode: companyMode,
            employeeAliases: try employeeAliases(configuration),
            employeeCacheAge: cacheMinutes * 60,
            shallowBoundary: repository.isShallow
                ? repository.shallowBoundary().map(\.hex).sorted().joined(separator: ",") : ""
        )
    }

    /// A boolean setting, with a message that says what to set when it is not one.
    private static func boolean(_ key: String, in configuration: Configuration) throws -> Bool? {
        do {
            return try configuration.bool(key)
        } catch {
            let value = (try? configuration.string(key)) ?? "?"
            throw SettingsError("git config \(key) is '\(value ?? "")'; set it to true or false")
        }
    }

    /// `worktrail.employee.<id>.email` entries (repeatable), as e-mail to employee id.
    private static func employeeAliases(_ configuration: Configuration) throws -> [String: Int] {
        var aliases: [String: Int] = [:]
        for (key, value) in try configuration.entries(matching: #"^worktrail\.employee\..*\.email$"#) {
            let parts = key.split(separator: ".")
            guard parts.count == 4, let id = Int(parts[2]), id > 0 else {
                throw SettingsError(
                    "git config \(key): the part between 'employee.' and '.email' must be an employee id"
                )
            }
            aliases[value.lowercased()] = id
        }
        return aliases
    }

    /// A date as `worktrail.since` takes it: `YYYY-MM-DD` (midnight UTC), ISO 8601 with a time,
    /// or seconds since 1970.
    static func parseDate(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(trimmed) { return seconds }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: trimmed) { return Int64(date.timeIntervalSince1970) }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: trimmed) { return Int64(date.timeIntervalSince1970) }
        return nil
    }

    /// The `origin` remote's URL, or the only remote's when there is no `origin`.
    private static func remoteURL(of repository: Repository) throws -> String? {
        if let origin = try repository.remoteURL(named: "origin") { return origin }
        let names = try repository.remoteNames()
        guard names.count == 1, let only = names.first else { return nil }
        return try repository.remoteURL(named: only)
    }

    /// The name shown in summaries: the remote's repository name, else the directory's.
    static func repositoryName(repository: Repository, remote: String?) -> String {
        if let remote, let parsed = RemoteURL(remote), !parsed.repositoryName.isEmpty {
            // Remote paths may be percent-encoded (`My%20Project`); a summary shows the name.
            return parsed.repositoryName.removingPercentEncoding ?? parsed.repositoryName
        }
        let directory: String
        if let workingDirectory = repository.workingDirectory {
            directory = workingDirectory
        } else {
            let common = repository.commonDirectory
            directory =
                (common as NSString).lastPathComponent == ".git"
                ? (common as NSString).deletingLastPathComponent : common
        }
        let base = (directory as NSString).lastPathComponent
        return base.hasSuffix(".git") ? String(base.dropLast(4)) : base
    }

    /// The entry for one commit.
    ///
    /// - Throws: `CommitLinkError` when no commit link can be made for this repository.
    func entry(for commit: Commit) throws(CommitLinkError) -> HubEntry {
        HubEntry(
            employeeID: employeeID,
            time: commit.authorTime,
            sourceType: .scm,
            summary: summary(for: commit.subject),
            link: try linker.get().link(for: commit.id.hex),
            privacy: privacy
        )
    }

    /// `<repository>: <subject>`, cut on a character boundary when very long.
    func summary(for subject: String) -> String {
        let text = subject.isEmpty ? "(no commit message)" : subject
        let summary = "\(repositoryName): \(text)"
        guard summary.count > Self.summaryLimit else { return summary }
        return String(summary.prefix(Self.summaryLimit - 1)) + "…"
    }
}
