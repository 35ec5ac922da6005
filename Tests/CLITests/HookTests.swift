import Foundation
import StandInHub
import TestSupport
import Testing

/// The hooks end to end: real git commands run them, they start the real binary in the
/// background, and it delivers to the stand-in Hub. Waits poll for the outcome.
@Suite("git hooks")
struct HookTests {
    // MARK: - Installing

    /// Installing twice changes no file, and each installed hook is the shipped script with the
    /// binary's absolute path recorded in it.
    @Test func installIsIdempotentAndInstallsTheShippedScripts() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let hooks = fixture.path + "/.git/hooks"

        let first = try fixture.tool(["hook", "install"])
        #expect(first.status == 0)
        #expect(first.standardOutput == "installed post-commit, post-rewrite, post-merge in \(hooks)\n")
        let installed = try ["post-commit", "post-rewrite", "post-merge"].map { name in
            let path = "\(hooks)/\(name)"
            #expect(FileManager.default.isExecutableFile(atPath: path))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let shipped = try String(contentsOfFile: "\(packageRoot)/hooks/\(name)", encoding: .utf8)
            #expect(text.replacingOccurrences(of: "'\(toolPath)'", with: "'@WORKTRAIL_GIT@'") == shipped)
            return (text, try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        }

        let second = try fixture.tool(["hook", "install"])
        #expect(second.status == 0)
        #expect(second.standardOutput == "the hooks are already installed in \(hooks)\n")
        for (index, name) in ["post-commit", "post-rewrite", "post-merge"].enumerated() {
            let path = "\(hooks)/\(name)"
            #expect(try String(contentsOfFile: path, encoding: .utf8) == installed[index].0)
            #expect(
                try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == installed[index].1
            )
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: hooks).filter { !$0.hasSuffix(".sample") }.sorted()
                == ["post-commit", "post-merge", "post-rewrite"]
        )
    }

    /// A hook that was there keeps running, first, with git's arguments, and is back after uninstall.
    @Test func anExistingHookIsChainedAndRestored() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let marker = fixture.directory.child("own-hook-ran")
        let ownHook = "#!/bin/sh\necho \"ran $*\" >> '\(marker)'\n"
        let hookPath = fixture.path + "/.git/hooks/post-commit"
        try ownHook.write(toFile: hookPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hookPath)

        let install = try fixture.tool(["hook", "install"])
        #expect(
            install.standardOutput.hasPrefix(
                "kept the existing post-commit hook as post-commit.worktrail-chained; it still runs first\n"
            )
        )
        let commit = try fixture.hookedCommit("with both hooks", hub: hub)
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "ran \n")
        #expect(eventually { hub.deliveredCommits.contains(commit) })

        let uninstall = try fixture.tool(["hook", "uninstall"])
        #expect(uninstall.status == 0)
        #expect(uninstall.standardOutput.contains("put back the post-commit hook that was there before\n"))
        #expect(try String(contentsOfFile: hookPath, encoding: .utf8) == ownHook)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/hooks/post-rewrite"))
        #expect(!FileManager.default.fileExists(atPath: hookPath + ".worktrail-chained"))
    }

    /// With core.hooksPath set (relative, so taken from the top of the working tree), the hooks
    /// go there, since that is where git runs them.
    @Test func coreHooksPathIsHonoured() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.small(commits: 1)
        try fixture.git(["config", "core.hooksPath", ".githooks"])
        let subdirectory = fixture.path + "/src"
        try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: true)

        let install = try fixture.tool(["hook", "install", "--repo", subdirectory])
        #expect(
            install.standardOutput == "installed post-commit, post-rewrite, post-merge in \(fixture.path)/.githooks\n"
        )
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/hooks/post-commit"))
        let commit = try fixture.hookedCommit("through hooksPath", hub: hub)
        #expect(eventually { hub.deliveredCommits.contains(commit) })
    }

    /// `--template` sets init.templateDir (in the private HOME) and new repositories get the hooks.
    @Test func templateInstallReachesNewRepositories() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let template = fixture.directory.child("data") + "/worktrail-git/git-template"
        let install = try fixture.tool(["hook", "install", "--template"], extra: fixture.hookEnvironment(nil))
        #expect(install.status == 0, "\(install.allOutput)")
        #expect(
            install.standardOutput.hasPrefix("set init.templateDir to \(template) in your global git configuration\n")
        )
        #expect(try fixture.git(["config", "--global", "init.templateDir"]) == template + "\n")

        let clone = fixture.directory.child("clone")
        try fixture.git(["clone", "-q", fixture.path, clone])
        let hook = try String(contentsOfFile: clone + "/.git/hooks/post-commit", encoding: .utf8)
        #expect(hook.contains("'\(toolPath)'"))

        let uninstall = try fixture.tool(["hook", "uninstall", "--template"], extra: fixture.hookEnvironment(nil))
        #expect(uninstall.standardOutput.hasSuffix("unset init.templateDir in your global git configuration\n"))
        #expect((try? fixture.git(["config", "--global", "init.templateDir"])) == nil)
    }

    // MARK: - Commits and rewrites

    @Test func commitAndAmendAreDelivered() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        let first = try fixture.hookedCommit("first with hooks", hub: hub)
        #expect(eventually { hub.deliveredCommits.contains(first) })
        #expect(hub.entries.count == 2)  // with the commit made before the hooks

        try fixture.hookedGit(["commit", "-q", "--amend", "-m", "first, amended"], hub: hub)
        let amended = try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .newlines)
        #expect(eventually { hub.deliveredCommits.contains(amended) })
        #expect(hub.entries.last?.summary == "widgets: first, amended")
        #expect(fixture.hookLog.contains("post-commit: widgets: "))
    }

    /// An interactive rebase rewriting three commits: the reworded one is new work and is
    /// delivered; the two carried along keep author, time and subject, so the checkpoint records
    /// them as rewrites of work the Hub already has, and nothing is delivered twice.
    @Test func interactiveRebaseRewritingSeveralCommits() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        for index in 1...3 { try fixture.hookedCommit("step \(index)", hub: hub) }
        #expect(eventually { hub.entries.count == 4 })

        try fixture.hookedGit(
            ["rebase", "-q", "-i", "HEAD~3"],
            hub: hub,
            extra: ["GIT_SEQUENCE_EDITOR": "sed -i -e '1s/^pick/reword/'", "GIT_EDITOR": "sed -i -e '1s/^/Reworded: /'"]
        )
        let rewritten = try fixture.git(["log", "-3", "--format=%H"]).split(separator: "\n").map(String.init)
        #expect(try fixture.git(["log", "-1", "--skip=2", "--format=%s"]) == "Reworded: step 1\n")
        #expect(eventually { hub.deliveredCommits.contains(rewritten[2]) })
        #expect(eventually { fixture.hookLog.contains(" post-rewrite: widgets: ") })
        #expect(eventually { (try? fixture.statusCounts()["rewritten"]) == 2 })
        #expect(hub.entries.count == 5)
        #expect(Set(hub.deliveredCommits).count == hub.entries.count)
    }

    /// A cherry-picked copy is a rewrite of work already delivered (no second entry); a merge
    /// commit is new work, delivered through the post-merge hook.
    @Test func cherryPickAndMergeAreHandled() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        try fixture.git(["checkout", "-q", "-b", "side"])
        let picked = try fixture.hookedCommit("on the side", hub: hub)
        #expect(eventually { hub.deliveredCommits.contains(picked) })
        try fixture.git(["checkout", "-q", "main"])
        try fixture.hookedCommit("on main", hub: hub, file: "main.txt", extra: ["WORKTRAIL_SKIP": "1"])
        try fixture.hookedGit(["cherry-pick", picked], hub: hub)
        let copy = try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .newlines)
        #expect(copy != picked)
        #expect(eventually { (try? fixture.statusCounts()["rewritten"]) == 1 })
        #expect(!hub.deliveredCommits.contains(copy))

        try fixture.git(["checkout", "-q", "side"])
        try fixture.hookedCommit("more on the side", hub: hub, file: "side.txt", extra: ["WORKTRAIL_SKIP": "1"])
        try fixture.git(["checkout", "-q", "main"])
        try fixture.hookedGit(["merge", "-q", "--no-ff", "-m", "Merge side", "side"], hub: hub)
        let merge = try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .newlines)
        #expect(eventually { hub.deliveredCommits.contains(merge) })
        #expect(fixture.hookLog.contains("post-merge: widgets: "))
        #expect(Set(hub.deliveredCommits).count == hub.entries.count)
    }

    @Test func aCommitInASecondWorktreeIsDelivered() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        let worktree = fixture.directory.child("second")
        try fixture.git(["worktree", "add", "-q", "-b", "elsewhere", worktree])
        let commit = try fixture.hookedCommit("from the second worktree", hub: hub, in: worktree)
        #expect(eventually { hub.deliveredCommits.contains(commit) })
        // The state, log included, is the main repository's.
        #expect(fixture.hookLog.contains("post-commit: widgets: "))
    }

    // MARK: - Never in the way

    /// A GUI client or IDE runs git with a minimal PATH and no terminal: the recorded path is enough.
    @Test func worksWithAMinimalPath() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        let commit = try fixture.hookedCommit("from an IDE", hub: hub, extra: ["PATH": "/usr/bin:/bin"])
        #expect(eventually { hub.deliveredCommits.contains(commit) })
    }

    /// WORKTRAIL_SKIP=1 turns the hooks off for that command; a later commit still picks it up.
    @Test func skipTurnsTheHooksOff() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        let skipped = try fixture.hookedCommit("skipped", hub: hub, extra: ["WORKTRAIL_SKIP": "1"])
        let next = try fixture.hookedCommit("not skipped", hub: hub)
        #expect(eventually { hub.deliveredCommits.contains(next) })
        #expect(hub.deliveredCommits.contains(skipped))  // scans compare with the checkpoint
        let runs = fixture.hookLog.split(separator: "\n").filter { $0.contains(" post-commit: ") }
        #expect(runs.count == 1)
    }

    /// Without credentials the hook only scans and queues, for a later sync to deliver.
    @Test func withoutCredentialsTheHookQueues() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        let commit = try fixture.hookedCommit("offline", hub: nil)
        #expect(eventually { fixture.hookLog.contains("widgets: 2 queued, 2 waiting; no Hub credentials are set") })
        #expect(hub.requestCount == 0)

        let sync = try fixture.tool(["sync", "--hub-url", hub.baseURL.absoluteString], credentials: true)
        #expect(sync.standardOutput == "widgets: 2 delivered\n")
        #expect(hub.deliveredCommits.contains(commit))
    }

    /// The binary was removed: the commit still succeeds, prints nothing, and the log says why.
    @Test func aRemovedBinaryNeverBreaksACommit() throws {
        let fixture = try GitRepositoryFixture.small(commits: 1)
        let copy = fixture.directory.child("bin/worktrail-git")
        try FileManager.default.createDirectory(
            atPath: fixture.directory.child("bin"),
            withIntermediateDirectories: true
        )
        try FileManager.default.copyItem(atPath: toolPath, toPath: copy)
        let install = try Shell.run(copy, ["hook", "install"], in: fixture.path, environment: fixture.environment)
        #expect(install.status == 0)
        try FileManager.default.removeItem(atPath: copy)

        let file = fixture.path + "/notes.txt"
        try "gone\n".write(toFile: file, atomically: true, encoding: .utf8)
        try fixture.git(["add", "notes.txt"])
        let commit = try Shell.run(
            try #require(Shell.which("git")),
            ["commit", "-m", "binary gone"],
            in: fixture.path,
            environment: fixture.environment.merging(fixture.hookEnvironment(nil)) { _, new in new }
        )
        #expect(commit.status == 0)
        #expect(commit.standardError.isEmpty)
        #expect(!commit.standardOutput.contains("worktrail"))
        #expect(eventually { fixture.hookLog.contains("post-commit: worktrail-git is not at '\(copy)' any more") })
    }

    /// The background process lets go of git's output, so `git commit | cat` does not wait for it.
    @Test func gitCommitPipedIntoCatReturnsAtOnce() throws {
        let fixture = try GitRepositoryFixture.withHooks()
        // Stand in for a binary that takes long: it holds whatever streams it was given.
        let slow = fixture.directory.child("slow-tool")
        try "#!/bin/sh\nsleep 60\n".write(toFile: slow, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slow)
        let hookPath = fixture.path + "/.git/hooks/post-commit"
        let hook = try String(contentsOfFile: hookPath, encoding: .utf8)
        try hook.replacingOccurrences(of: "'\(toolPath)'", with: "'\(slow)'").write(
            toFile: hookPath,
            atomically: true,
            encoding: .utf8
        )

        let started = Date()
        let result = try Shell.run(
            "/bin/sh",
            ["-c", "git commit --allow-empty -m piped | cat"],
            in: fixture.path,
            environment: fixture.environment.merging(fixture.hookEnvironment(nil)) { _, new in new }
        )
        #expect(result.status == 0)
        // Far below the minute the stand-in binary holds its streams.
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.standardOutput.contains("piped"))
    }

    /// The log is bounded: past 256 KiB it moves to hook.log.1 and a new one starts.
    @Test func theHookLogIsRotated() throws {
        let fixture = try GitRepositoryFixture.withHooks()
        let log = fixture.path + "/.git/worktrail/hook.log"
        try FileManager.default.createDirectory(
            atPath: fixture.path + "/.git/worktrail",
            withIntermediateDirectories: true
        )
        try String(repeating: "an old line of the hook log\n", count: 10_000).write(
            toFile: log,
            atomically: true,
            encoding: .utf8
        )
        try fixture.hookedCommit("rotates the log", hub: nil)
        #expect(eventually { fixture.hookLog.contains(" post-commit: widgets: ") })
        #expect(fixture.hookLog.split(separator: "\n").count == 1)
        let old = try FileManager.default.attributesOfItem(atPath: log + ".1")[.size] as? Int
        #expect(old == 280_000)
    }

    // MARK: - Outages

    /// A commit made while the Hub is down waits in the outbox; `daemon --once` delivers it.
    @Test func aCommitDuringAnOutageIsDeliveredByTheDaemon() throws {
        let hub = try startedHub()
        defer { hub.stop() }
        let fixture = try GitRepositoryFixture.withHooks()
        hub.takeDown()
        let commit = try fixture.hookedCommit("while the Hub is down", hub: hub)
        #expect(eventually { fixture.hookLog.contains("cannot connect to the Hub") })
        #expect(hub.entries.isEmpty)

        try hub.bringUp()
        let daemon = try fixture.tool(
            ["daemon", "--once", "--repo", fixture.path],
            credentials: true,
            extra: ["WORKTRAIL_HUB_URL": hub.baseURL.absoluteString]
        )
        #expect(daemon.status == 0, "\(daemon.allOutput)")
        #expect(hub.deliveredCommits.contains(commit))
        #expect(hub.entries.count == 2)
        #expect(daemon.standardError.contains("widgets: 0 queued, 2 delivered, 0 waiting in "))
        #expect(daemon.standardError.contains("pass 1: 1 repositories, 0 queued, 2 delivered, 0 waiting in "))
    }
}
