import Foundation
import TestSupport
import Testing
import WorkTrailDaemon

@Suite("Daemon configuration file and repository discovery")
struct DaemonConfigurationTests {
    // MARK: - Parsing

    @Test func readsEverySettingWithCommentsAndPaths() throws {
        let text = """
            # repositories to sync
            repo = ~/src/widgets
            repo = /srv/git/tools.git   # bare
            root=projects
              depth = 2
            interval = 90

            """
        let configuration = try DaemonConfiguration.parse(
            text,
            path: "daemon.conf",
            home: "/home/dee",
            directory: "/etc/wt"
        )
        #expect(configuration.repositories == ["/home/dee/src/widgets", "/srv/git/tools.git"])
        #expect(configuration.roots == ["/etc/wt/projects"])
        #expect(configuration.depth == 2)
        #expect(configuration.interval == 90)
    }

    @Test func mistakesNameTheFileAndLine() {
        let cases: [(String, String)] = [
            ("repo = a\nrot = b\n", "daemon.conf:2: unknown setting 'rot' (known: repo, root, depth, interval)"),
            ("depth = 12", "daemon.conf:1: depth takes a whole number from 1 to 8, not '12'"),
            ("just words", "daemon.conf:1: expected 'key = value', found 'just words'"),
            ("\n\nroot =", "daemon.conf:3: 'root' needs a value"),
            ("interval = soon", "daemon.conf:1: interval takes a number of seconds, at least 1, not 'soon'"),
        ]
        for (text, message) in cases {
            #expect(throws: DaemonConfigurationError.self) {
                try DaemonConfiguration.parse(text, path: "daemon.conf", home: "/h", directory: "/d")
            }
            do {
                _ = try DaemonConfiguration.parse(text, path: "daemon.conf", home: "/h", directory: "/d")
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test func aMissingFileIsAnEmptyConfiguration() throws {
        let directory = try TemporaryDirectory("conf")
        let configuration = try DaemonConfiguration.load(path: directory.child("none.conf"), home: "/h")
        #expect(configuration == DaemonConfiguration())
    }

    @Test func theDefaultPathFollowsXDG() {
        #expect(
            DaemonConfiguration.defaultPath(environment: ["HOME": "/home/dee"])
                == "/home/dee/.config/worktrail-git/daemon.conf"
        )
        #expect(
            DaemonConfiguration.defaultPath(environment: ["HOME": "/home/dee", "XDG_CONFIG_HOME": "/cfg"])
                == "/cfg/worktrail-git/daemon.conf"
        )
    }

    // MARK: - Discovery

    /// Repositories are found down to the depth, but not inside `.git`, inside another
    /// repository's working tree, in hidden directories or through symbolic links.
    @Test func discoveryStopsAtRepositoriesAndAtTheDepth() throws {
        let root = try TemporaryDirectory("roots")
        let fileManager = FileManager.default
        func make(_ relative: String) throws {
            try fileManager.createDirectory(atPath: root.child(relative), withIntermediateDirectories: true)
        }
        try make("a/.git/objects")
        try make("a/vendor/inner/.git")  // inside a's working tree: not found
        try make("group/b/.git")
        try make("group/deep/deeper/c/.git")  // level 4: beyond depth 3
        try make("bare.git/objects")
        try make("bare.git/refs")
        try Data("ref: refs/heads/main\n".utf8).write(to: URL(fileURLWithPath: root.child("bare.git/HEAD")))
        try make(".hidden/d/.git")
        try make("plain/empty")
        try fileManager.createSymbolicLink(atPath: root.child("link"), withDestinationPath: root.child("group"))
        try make("worktree")
        try Data("gitdir: /elsewhere\n".utf8).write(to: URL(fileURLWithPath: root.child("worktree/.git")))

        let found = RepositoryDiscovery.repositories(under: root.path, depth: 3).map {
            String($0.dropFirst(root.path.count + 1))
        }
        #expect(found == ["a", "bare.git", "worktree", "group/b"])
        #expect(RepositoryDiscovery.repositories(under: root.path, depth: 1).count == 3)
        #expect(RepositoryDiscovery.repositories(under: root.child("a"), depth: 3) == [root.child("a")])
        #expect(RepositoryDiscovery.repositories(under: root.child("missing"), depth: 3).isEmpty)
    }
}
