import Foundation

/// Finds the git repositories under a directory, down to a bounded depth.
///
/// A directory holding `.git` (a directory, or the file of a worktree or submodule) is a
/// repository, and so is a bare repository (a directory holding `HEAD`, `objects` and `refs`).
/// The search does not go into a repository it found (so neither into `.git` nor into another
/// repository's working tree), nor into hidden directories, and does not follow symbolic links.
public enum RepositoryDiscovery {
    /// The repositories at or under `root`, at most `depth` levels down, in a stable order.
    ///
    /// A root that cannot be read yields nothing; the daemon says so separately.
    public static func repositories(under root: String, depth: Int) -> [String] {
        var found: [String] = []
        var level = [root]
        var remaining = depth
        while !level.isEmpty {
            var next: [String] = []
            for directory in level {
                if isRepository(directory) {
                    found.append(directory)
                    continue
                }
                guard remaining > 0 else { continue }
                next += subdirectories(of: directory)
            }
            level = next
            remaining -= 1
        }
        return found
    }

    /// Whether `directory` is the top of a working tree or a bare repository.
    public static func isRepository(_ directory: String) -> Bool {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: (directory as NSString).appendingPathComponent(".git")) { return true }
        var isDirectory: ObjCBool = false
        let head = (directory as NSString).appendingPathComponent("HEAD")
        guard fileManager.fileExists(atPath: head, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return false
        }
        return ["objects", "refs"].allSatisfy {
            fileManager.fileExists(
                atPath: (directory as NSString).appendingPathComponent($0),
                isDirectory: &isDirectory
            )
                && isDirectory.boolValue
        }
    }

    /// The directories directly inside `directory`, sorted, without hidden ones and symbolic links.
    private static func subdirectories(of directory: String) -> [String] {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory) else { return [] }
        return names.sorted().compactMap { name in
            guard !name.hasPrefix(".") else { return nil }
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? fileManager.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeDirectory
            else { return nil }
            return path
        }
    }
}
