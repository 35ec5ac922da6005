import Testing
@testable import GitSync

/// A 40-hex commit id used throughout.
private let sha = "0123456789abcdef0123456789abcdef01234567"

/// Makes a linker from a remote alone, as most tests need.
private func linker(_ remote: String?, template: String? = nil, forge: String? = nil,
                    repositoryName: String = "repo") throws(CommitLinkError) -> CommitLinker {
    try CommitLinker(remoteURL: remote, template: template, forge: forge, repositoryName: repositoryName)
}

/// Returns the error `body` throws, or nil when it throws none.
private func error(_ body: () throws(CommitLinkError) -> CommitLinker) -> CommitLinkError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("RemoteURL parsing")
struct RemoteURLTests {
    @Test("Every remote form splits into scheme, host, port and path", arguments: [
        ("git@github.com:owner/repo.git", RemoteURL.Scheme.ssh, "github.com", nil, "owner/repo"),
        ("github.com:owner/repo.git", .ssh, "github.com", nil, "owner/repo"),
        ("alice@git.example.com:team/app", .ssh, "git.example.com", nil, "team/app"),
        ("git@git.example.com:/srv/repos/app.git/", .ssh, "git.example.com", nil, "srv/repos/app"),
        ("ssh://git@git.example.com:2222/owner/repo.git", .ssh, "git.example.com", 2222, "owner/repo"),
        ("ssh://git.example.com/~alice/repo", .ssh, "git.example.com", nil, "~alice/repo"),
        ("git+ssh://git@git.example.com/owner/repo.git", .ssh, "git.example.com", nil, "owner/repo"),
        ("ssh+git://git@git.example.com/owner/repo.git", .ssh, "git.example.com", nil, "owner/repo"),
        ("git://git.example.com/owner/repo.git", .git, "git.example.com", nil, "owner/repo"),
        ("https://git.example.com/owner/repo.git", .https, "git.example.com", nil, "owner/repo"),
        ("https://user:password@git.example.com:8443/owner/repo", .https, "git.example.com", 8443, "owner/repo"),
        ("http://git.example.com:3000/owner/repo.git", .http, "git.example.com", 3000, "owner/repo"),
        ("HTTPS://Git.Example.COM/Owner/Repo.git?ref=main#top", .https, "git.example.com", nil, "Owner/Repo"),
        ("  https://git.example.com/owner/repo\n", .https, "git.example.com", nil, "owner/repo"),
        ("https://[2001:db8::1]:8443/owner/repo", .https, "[2001:db8::1]", 8443, "owner/repo"),
        ("git@[::1]:owner/repo.git", .ssh, "[::1]", nil, "owner/repo"),
    ] as [(String, RemoteURL.Scheme, String, Int?, String)])
    func parses(text: String, scheme: RemoteURL.Scheme, host: String, port: Int?, path: String) throws {
        let remote = try #require(RemoteURL(text))
        #expect(remote.scheme == scheme)
        #expect(remote.host == host)
        #expect(remote.port == port)
        #expect(remote.path == path)
    }

    @Test("The repository name is the last path component")
    func repositoryName() throws {
        #expect(try #require(RemoteURL("https://github.com/torvalds/linux.git")).repositoryName == "linux")
        #expect(try #require(RemoteURL("git@gitlab.com:a/b/c/deep.git")).repositoryName == "deep")
        #expect(try #require(RemoteURL("ssh://host.example/~alice/tools")).repositoryName == "tools")
    }

    @Test("Local paths, other schemes and malformed URLs are no web remotes", arguments: [
        "/srv/git/x.git", "../x", "./a:b", "x", "", "file:///srv/git/x.git", "C:\\x", "C:/x", "c:x",
        "ftp://host.example/x", "https://", "https:///owner/repo", "https://host.example", "https://host.example/.git",
        "git@github.com:", "https://host.example:notaport/x", "https://host.example:70000/x",
        "https://[::1/x", "[::1", "git@[::1]/x", "https://[::1]x/y", "https://[]/x", "https://bad host/x",
    ])
    func rejects(text: String) {
        #expect(RemoteURL(text) == nil)
    }
}

@Suite("Commit links")
struct CommitLinkTests {
    @Test("Each remote form and forge gives its commit link", arguments: [
        // GitHub, in every remote form
        ("git@github.com:owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("github.com:owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("alice@github.com:owner/repo", "https://github.com/owner/repo/commit/\(sha)"),
        ("ssh://git@github.com:2222/owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("git+ssh://git@github.com/owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("ssh+git://git@github.com/owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("git://github.com/owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("https://github.com/owner/repo.git", "https://github.com/owner/repo/commit/\(sha)"),
        ("https://GitHub.COM/Owner/Repo.git/", "https://github.com/Owner/Repo/commit/\(sha)"),
        ("https://github.company.com/team/app.git", "https://github.company.com/team/app/commit/\(sha)"),
        // GitLab, with subgroups and ports
        ("git@gitlab.com:group/sub/deeper/repo.git", "https://gitlab.com/group/sub/deeper/repo/-/commit/\(sha)"),
        ("https://gitlab.com/group/sub/repo", "https://gitlab.com/group/sub/repo/-/commit/\(sha)"),
        ("https://user:password@gitlab.example.com:8443/group/repo",
         "https://gitlab.example.com:8443/group/repo/-/commit/\(sha)"),
        ("ssh://git@gitlab.example.com:2222/group/sub/repo.git",
         "https://gitlab.example.com/group/sub/repo/-/commit/\(sha)"),
        ("http://gitlab.intranet:8080/group/repo.git", "http://gitlab.intranet:8080/group/repo/-/commit/\(sha)"),
        ("https://gitlab.com:443/group/repo", "https://gitlab.com/group/repo/-/commit/\(sha)"),
        // Bitbucket Cloud
        ("git@bitbucket.org:owner/repo.git", "https://bitbucket.org/owner/repo/commits/\(sha)"),
        ("https://alice@bitbucket.org/owner/repo.git", "https://bitbucket.org/owner/repo/commits/\(sha)"),
        // Gitea, Forgejo and Codeberg
        ("https://codeberg.org/owner/repo", "https://codeberg.org/owner/repo/commit/\(sha)"),
        ("git@forgejo.example.net:owner/repo.git", "https://forgejo.example.net/owner/repo/commit/\(sha)"),
        ("http://gitea.local:3000/owner/repo.git", "http://gitea.local:3000/owner/repo/commit/\(sha)"),
        ("ssh://gitea.example.org/~alice/repo", "https://gitea.example.org/~alice/repo/commit/\(sha)"),
        // Azure DevOps
        ("https://dev.azure.com/org/project/_git/repo", "https://dev.azure.com/org/project/_git/repo/commit/\(sha)"),
        ("https://org@dev.azure.com/org/My%20Project/_git/My%20Repo",
         "https://dev.azure.com/org/My%20Project/_git/My%20Repo/commit/\(sha)"),
        ("git@ssh.dev.azure.com:v3/org/My%20Project/repo",
         "https://dev.azure.com/org/My%20Project/_git/repo/commit/\(sha)"),
        ("ssh://git@ssh.dev.azure.com/v3/org/project/repo",
         "https://dev.azure.com/org/project/_git/repo/commit/\(sha)"),
        ("https://org.visualstudio.com/project/_git/repo",
         "https://org.visualstudio.com/project/_git/repo/commit/\(sha)"),
        ("https://org.visualstudio.com/DefaultCollection/project/_git/repo",
         "https://org.visualstudio.com/project/_git/repo/commit/\(sha)"),
        ("org@vs-ssh.visualstudio.com:v3/Org/project/repo",
         "https://org.visualstudio.com/project/_git/repo/commit/\(sha)"),
    ])
    func link(remote: String, expected: String) throws {
        #expect(try linker(remote).link(for: sha) == expected)
    }

    @Test("The commit id is inserted as given, also a 64-hex SHA-256 id")
    func sha256() throws {
        let long = String(repeating: "ab", count: 32)
        #expect(try linker("git@github.com:o/r.git").link(for: long) == "https://github.com/o/r/commit/\(long)")
    }

    @Test("Literal spaces are encoded, existing escapes kept")
    func encoding() throws {
        let link = try linker("https://dev.azure.com/org/My Project/_git/100%25 repo").link(for: sha)
        #expect(link == "https://dev.azure.com/org/My%20Project/_git/100%25%20repo/commit/\(sha)")
    }

    @Test("IPv6 hosts keep their brackets; ssh ports are dropped, https ports kept")
    func ipv6() throws {
        #expect(try linker("https://[2001:db8::1]:8443/o/r", forge: "gitea").link(for: sha)
            == "https://[2001:db8::1]:8443/o/r/commit/\(sha)")
        #expect(try linker("ssh://git@[fe80::1]:22/o/r.git", forge: "github").link(for: sha)
            == "https://[fe80::1]/o/r/commit/\(sha)")
    }

    @Test("User names, passwords and tokens never reach the link", arguments: [
        ("https://oauth2:glpat-SECRET123@gitlab.com/group/repo.git", "glpat-SECRET123"),
        ("https://ghp_SECRET123@github.com/owner/repo.git", "ghp_SECRET123"),
        ("https://x-access-token:SECRET123@github.com/owner/repo", "SECRET123"),
        ("https://alice:p%40ss@gitlab.example.com:8443/group/repo", "p%40ss"),
        ("https://alice:p@ss@gitlab.example.com/group/repo", "p@ss"),
        ("ssh://deploy-SECRET@github.com:2222/owner/repo.git", "deploy-SECRET"),
        ("SECRETUSER@github.com:owner/repo.git", "SECRETUSER"),
        ("alice:SECRET123@github.com:owner/repo.git", "SECRET123"),
        ("https://SECRETORG@dev.azure.com/org/project/_git/repo", "SECRETORG"),
    ])
    func credentialsStripped(remote: String, secret: String) throws {
        let link = try linker(remote).link(for: sha)
        #expect(!link.contains(secret))
        #expect(!link.contains("@"))
    }

    @Test("Credentials never reach an error message", arguments: [
        "https://alice:SECRET123@git.example.com/team/app.git",
        "https://SECRET123@git.example.com/team/app.git",
        "alice:SECRET123@git.example.com:team/app.git",
        "https://alice:SECRET#123@github.com/owner/repo",
        "ssh://SECRET123@git.example.com:2222/team/app.git",
        "https://SECRET/123@github.com/owner/repo",
        "https://SECRET?123@github.com/owner/repo",
        "https://alice:SECRET123@dev.azure.com/org/no-git-here",
    ])
    func credentialsNotInErrors(remote: String) throws {
        let failure = try #require(error { () throws(CommitLinkError) in try linker(remote) })
        #expect(!failure.description.contains("SECRET"))
        #expect(!failure.description.contains("alice"))
    }

    @Test("A template wins over the remote and fills in {repo} and every {sha}")
    func template() throws {
        let made = try linker("git@github.com:owner/repo.git",
                              template: "https://cgit.example.org/{repo}/commit/?id={sha}&short={sha}",
                              repositoryName: "linux")
        #expect(made.link(for: "abc") == "https://cgit.example.org/linux/commit/?id=abc&short=abc")
        let withoutRemote = try linker(nil, template: " http://git.example.org/{repo}/{sha} ", repositoryName: "a b")
        #expect(withoutRemote.link(for: sha) == "http://git.example.org/a%20b/\(sha)")
        // A repository name cannot smuggle in a placeholder.
        let sneaky = try linker(nil, template: "https://x.example/{repo}/{sha}", repositoryName: "{sha}")
        #expect(sneaky.link(for: "1") == "https://x.example/%7Bsha%7D/1")
    }

    @Test("A blank template or forge counts as unset")
    func blankConfig() throws {
        #expect(try linker("git@github.com:o/r.git", template: "  ", forge: "").link(for: sha)
            == "https://github.com/o/r/commit/\(sha)")
    }

    @Test("Template errors name worktrail.linkTemplate and hide credentials")
    func templateErrors() throws {
        let noSHA = error { () throws(CommitLinkError) in try linker(nil, template: "https://x.example/{repo}") }
        #expect(noSHA == .templateWithoutSHA)
        #expect(noSHA?.description.contains("worktrail.linkTemplate") == true)
        for bad in ["ftp://x.example/{sha}", "x.example/{sha}", "https:///{sha}", "https://x y/{sha}"] {
            let failure = error { () throws(CommitLinkError) in try linker(nil, template: bad) }
            #expect(failure == .templateNotWebURL, "\(bad)")
            #expect(failure?.description.contains("worktrail.linkTemplate") == true)
        }
        let secret = error { () throws(CommitLinkError) in
            try linker(nil, template: "https://alice:SECRET123@x.example/{sha}")
        }
        #expect(secret == .templateWithCredentials)
        #expect(secret?.description.contains("worktrail.linkTemplate") == true)
        #expect(secret?.description.contains("SECRET123") == false)
    }

    @Test("worktrail.forge overrides host detection, case-insensitively", arguments: [
        ("https://git.example.com/team/sub/app.git", "gitlab", "https://git.example.com/team/sub/app/-/commit/\(sha)"),
        ("git@git.example.com:team/app.git", "GitHub", "https://git.example.com/team/app/commit/\(sha)"),
        ("https://code.example.com/team/app", "bitbucket", "https://code.example.com/team/app/commits/\(sha)"),
        ("http://git.lan:3000/team/app", "gitea", "http://git.lan:3000/team/app/commit/\(sha)"),
        ("https://gitlab.com/owner/repo", "github", "https://gitlab.com/owner/repo/commit/\(sha)"),
        ("https://tfs.example.com/tfs/Coll/Proj/_git/app", "azure",
         "https://tfs.example.com/tfs/Coll/Proj/_git/app/commit/\(sha)"),
        ("git@tfs.example.com:v3/Coll/Proj/app", "azure", "https://tfs.example.com/Coll/Proj/_git/app/commit/\(sha)"),
    ])
    func forgeOverride(remote: String, forge: String, expected: String) throws {
        #expect(try linker(remote, forge: forge).link(for: sha) == expected)
    }

    @Test("An unknown forge names the valid values and worktrail.forge, even with a template")
    func unknownForge() {
        let failure = error { () throws(CommitLinkError) in
            try linker("git@github.com:o/r.git", template: "https://x.example/{sha}", forge: "sourcehut")
        }
        #expect(failure == .unknownForge("sourcehut"))
        let message = failure?.description ?? ""
        #expect(message.contains("worktrail.forge"))
        #expect(message.contains("sourcehut"))
        #expect(message.contains("github, gitlab, bitbucket, gitea, azure"))
    }

    @Test("Without remote or template the error names worktrail.linkTemplate")
    func noRemote() {
        for remote in [nil, "", "   "] as [String?] {
            let failure = error { () throws(CommitLinkError) in try linker(remote) }
            #expect(failure == .noRemote)
            #expect(failure?.description.contains("worktrail.linkTemplate") == true)
        }
    }

    @Test("A local remote is no web remote", arguments: ["/srv/git/x.git", "../x", "file:///srv/x.git", "C:\\x"])
    func localRemote(remote: String) {
        let failure = error { () throws(CommitLinkError) in try linker(remote) }
        #expect(failure == .notAWebRemote)
        #expect(failure?.description.contains("worktrail.linkTemplate") == true)
    }

    @Test("An unrecognised host names the host, path and both config keys")
    func unknownHost() {
        let failure = error { () throws(CommitLinkError) in try linker("ssh://git@git.example.com:2222/team/app.git") }
        #expect(failure == .unknownHost(host: "git.example.com", path: "team/app"))
        let message = failure?.description ?? ""
        #expect(message.contains("git.example.com/team/app"))
        #expect(message.contains("worktrail.forge"))
        #expect(message.contains("worktrail.linkTemplate"))
        #expect(message.contains("gitea"))
    }

    @Test("An Azure remote without _git or v3 shape is reported", arguments: [
        "https://dev.azure.com/org/project/repo",
        "git@ssh.dev.azure.com:v3/org/repo",
        "git@vs-ssh.visualstudio.com:v3/bad.org/project/repo",
    ])
    func azurePathErrors(remote: String) throws {
        let failure = try #require(error { () throws(CommitLinkError) in try linker(remote) })
        let parsed = try #require(RemoteURL(remote))
        #expect(failure == .unrecognisedAzurePath(host: parsed.host, path: parsed.path))
        #expect(failure.description.contains("\(parsed.host)/\(parsed.path)"))
        #expect(failure.description.contains("worktrail.linkTemplate"))
    }
}
