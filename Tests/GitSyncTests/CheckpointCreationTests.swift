import Foundation
@testable import GitSync
import Testing
import TestSupport

@Suite("Checkpoint creation")
struct CheckpointCreationTests {
    private func checkpointPath(_ fixture: GitRepositoryFixture) -> String {
        fixture.path + "/.git/worktrail/checkpoint.sqlite"
    }

    @Test func emptyCheckpointFileIsDamageNotAFreshStart() throws {
        let fixture = try generatedRepository(commits: 5)
        let path = checkpointPath(fixture)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect { try fixture.sync().status() } throws: { error in
            let text = String(describing: error)
            return text.contains(path) && text.contains("the file is empty") && text.contains("resync")
        }
    }

    @Test func unwritablePlacePointsToStateDir() throws {
        let fixture = try generatedRepository(commits: 5)
        // Root may write anywhere, so block the place with a file where the directory would go.
        _ = FileManager.default.createFile(atPath: fixture.path + "/.git/worktrail", contents: Data("x".utf8))
        #expect { try CheckpointStore(path: checkpointPath(fixture)) } throws: { error in
            String(describing: error).contains("--state-dir")
        }
    }

    @Test func processesCreatingTheCheckpointAtOnceAllGetTheSameOne() async throws {
        let fixture = try generatedRepository(commits: 5)
        let path = checkpointPath(fixture)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try CheckpointStore(path: path).counts() }
            }
            try await group.waitForAll()
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(!leftovers.contains { $0.contains(".new-") })
        #expect(try fixture.sync().status()?.delivered == 0)
    }
}
