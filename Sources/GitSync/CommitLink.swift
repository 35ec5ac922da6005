import Foundation

/// A family of git hosting software, deciding how a commit's web link looks.
///
/// The raw values are what `worktrail.forge` accepts.
public enum Forge: String, Sendable, CaseIterable {
    case github, gitlab, bitbucket, gitea, azure

    /// Recognises the forge serving `host`, or nil for a host that needs `worktrail.forge`.
    init?(host: String) {
        if host == "dev.azure.com" || host == "ssh.dev.azure.com" || host.hasSuffix(".visualstudio.com") {
            self = .azure
        } else if host.contains("github") {  // github.com and GitHub Enterprise hosts like github.company.com
            self = .github
        } else if host.contains("gitlab") {
            self = .gitlab
        } else if host == "bitbucket.org" {
            self = .bitbucket
        } else if host == "codeberg.org" || host.contains("gitea") || host.contains("forgejo") {
            self = .gitea
        } else {
            return nil
        }
    }

    /// What follows the repository's web page in a commit link.
    var commitPath: String {
        switch self {
        case .github, .gitea, .azure: "/commit/"
        case .gitlab: "/-/commit/"
        case .bitbucket: "/commits/"
        }
    }
}

/// Why no commit links can be made; each message says which git config to set.
///
/// Messages name at most the remote's host and path, never user names, passwords or tokens.
public enum CommitLinkError: Error, Equatable, CustomStringConvertible {
    /// There is neither a remote URL nor `worktrail.linkTemplate`.
    case noRemote
    /// The remote is a local path or a URL without a web page, such as `file://`.
    case notAWebRemote
    /// The remote's host is no forge the code recognises and `worktrail.forge` is not set.
    case unknownHost(host: String, path: String)
    /// `worktrail.forge` names no known forge.
    case unknownForge(String)
    /// The forge is Azure DevOps but the path has neither the `ORG/PROJECT/_git/REPO` nor `v3/ORG/PROJECT/REPO` shape.
    case unrecognisedAzurePath(host: String, path: String)
    /// `worktrail.linkTemplate` lacks the `{sha}` placeholder.
    case templateWithoutSHA
    /// `worktrail.linkTemplate` does not give an http(s) URL with a host.
    case templateNotWebURL
    /// `worktrail.linkTemplate` has a user name or password before the host.
    case templateWithCredentials

    public var description: String {
        let forges = Forge.allCases.map(\.rawValue).joined(separator: ", ")
        let setTemplate =
            "set worktrail.linkTemplate to a link with {sha} (and optionally {repo}), "
            + "e.g. https://git.example.com/{repo}/commit/{sha}"
        switch self {
        case .noRemote:
            return "The repository has no remote to derive commit links from; \(setTemplate)."
        case .notAWebRemote:
            return "The repository's remote is a local path or has no web page; \(setTemplate)."
        case let .unknownHost(host, path):
            return "Cannot tell which forge serves \(host)/\(path). For a self-hosted forge set worktrail.forge "
                + "to one of: \(forges); or \(setTemplate)."
        case let .unknownForge(value):
            return "worktrail.forge is \"\(value)\", which is none of: \(forges)."
        case let .unrecognisedAzurePath(host, path):
            return "\(host)/\(path) is no Azure DevOps repository path (ORG/PROJECT/_git/REPO or v3/ORG/PROJECT/REPO); "
                + "check worktrail.forge, or \(setTemplate)."
        case .templateWithoutSHA:
            return "worktrail.linkTemplate has no {sha} placeholder for the commit id."
        case .templateNotWebURL:
            return "worktrail.linkTemplate must give an http:// or https:// link with a host."
        case .templateWithCredentials:
            return "worktrail.linkTemplate must not contain a user name, password or token."
        }
    }
}

/// Turns commit ids into web links.
///
/// Everything is worked out and checked once in `init`, so `link(for:)` cannot fail.
public struct CommitLinker: Sendable {
    /// The link split at each `{sha}`; joining the pieces with a commit id gives its link.
    private let pieces: [String]

    /// Prepares links for one repository.
    ///
    /// - Parameters:
    ///   - remoteURL: the remote's URL (e.g. of `origin`), or nil when there is none.
    ///   - template: git config `worktrail.linkTemplate`, with `{sha}` and `{repo}` placeholders;
    ///     it wins over the remote.
    ///   - forge: git config `worktrail.forge`, forcing the link style for a self-hosted host the code cannot
    ///     recognise.
    ///   - repositoryName: what `{repo}` in the template stands for.
    /// Empty or blank config values count as unset.
    public init(remoteURL: String?, template: String?, forge: String?, repositoryName: String) throws(CommitLinkError) {
        // A misspelt forge is reported even when a template makes it unnecessary.
        var forcedForge: Forge?
        if let name = Self.nonBlank(forge) {
            guard let known = Forge(rawValue: name.lowercased()) else { throw .unknownForge(name) }
            forcedForge = known
        }
        if let template = Self.nonBlank(template) {
            pieces = try Self.templatePieces(template, repositoryName: repositoryName)
            return
        }
        guard let remoteText = Self.nonBlank(remoteURL) else { throw .noRemote }
        guard let remote = RemoteURL(remoteText) else { throw .notAWebRemote }
        guard let style = forcedForge ?? Forge(host: remote.host) else {
            throw .unknownHost(host: remote.host, path: remote.path)
        }
        let page =
            style == .azure
            ? try Self.azurePage(of: remote)
            : remote.webRoot + "/" + percentEncodedPath(remote.path)
        pieces = [page + style.commitPath, ""]
    }

    /// The web link of commit `sha`, which is inserted as given.
    public func link(for sha: String) -> String {
        pieces.joined(separator: sha)
    }

    /// The trimmed value, or nil when it is nil or blank.
    private static func nonBlank(_ value: String?) -> String? {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Fills `{repo}` into the template, checks that it gives an http(s) link, and splits it at `{sha}`.
    private static func templatePieces(_ template: String, repositoryName: String) throws(CommitLinkError) -> [String] {
        guard template.contains("{sha}") else { throw .templateWithoutSHA }
        let filled = template.replacingOccurrences(of: "{repo}", with: percentEncodedPath(repositoryName))
        // `{` is not allowed in URLs, so check the link of a sample commit id.
        let sample = filled.replacingOccurrences(of: "{sha}", with: String(repeating: "0", count: 40))
        guard let url = URLComponents(string: sample), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { throw .templateNotWebURL }
        guard url.user == nil, url.password == nil else { throw .templateWithCredentials }
        return filled.components(separatedBy: "{sha}")
    }

    /// The web page of an Azure DevOps repository, e.g. `https://dev.azure.com/ORG/PROJECT/_git/REPO`.
    ///
    /// The ssh form `v3/ORG/PROJECT/REPO` is rewritten to the web form; `ssh.dev.azure.com` is served by
    /// `dev.azure.com`, and `vs-ssh.visualstudio.com` by the organisation's own `ORG.visualstudio.com`.
    private static func azurePage(of remote: RemoteURL) throws(CommitLinkError) -> String {
        var parts = remote.path.split(separator: "/").map(String.init)
        let root: String
        if parts.count == 4, parts[0] == "v3" {
            let organisation = parts[1]
            parts = [parts[2], "_git", parts[3]]
            switch remote.host {
            case "vs-ssh.visualstudio.com":
                // The organisation becomes part of the host name, so it must be a valid DNS label.
                guard organisation.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw .unrecognisedAzurePath(host: remote.host, path: remote.path)
                }
                root = "https://\(organisation.lowercased()).visualstudio.com"
            case "ssh.dev.azure.com":
                root = "https://dev.azure.com"
                parts.insert(organisation, at: 0)
            default:
                root = remote.webRoot
                parts.insert(organisation, at: 0)
            }
        } else if parts.count >= 2, parts[parts.count - 2] == "_git" {
            root = remote.webRoot
            // Old visualstudio.com URLs name the collection, which the web links leave out.
            if remote.host.hasSuffix(".visualstudio.com"), parts.first?.lowercased() == "defaultcollection" {
                parts.removeFirst()
            }
        } else {
            throw .unrecognisedAzurePath(host: remote.host, path: remote.path)
        }
        return root + "/" + percentEncodedPath(parts.joined(separator: "/"))
    }
}
