internal import Clibgit2
import Foundation

/// An open git repository (`git_repository`), bare or with a working tree.
///
/// The instance owns its libgit2 handle and frees it once, in `deinit`. It is not Sendable:
/// libgit2 handles are confined to the task that opened them.
public final class Repository {
    let pointer: OpaquePointer
    private var cachedObjectDatabase: OpaquePointer?
    /// The packs as this wrapper reads them itself, opened on first use (`packs()`).
    var cachedPacks: [Pack]?
    /// Look-ups in `cachedPacks` since their pages were last given back.
    var packLookups = 0

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        if let cachedObjectDatabase { git_odb_free(cachedObjectDatabase) }
        git_repository_free(pointer)
    }

    /// Opens the repository that contains `path`, searching parent directories as git does
    /// (`git_repository_open_ext`). Worktrees and bare repositories are found too.
    ///
    /// - Throws: `GitError` with code `GIT_ENOTFOUND` when no repository contains `path`.
    public static func discover(containing path: String) throws(GitError) -> Repository {
        try Library.ensureInitialized()
        var handle: OpaquePointer?
        try check("git_repository_open_ext") { git_repository_open_ext(&handle, path, 0, nil) }
        guard let handle else {
            throw GitError(code: -1, message: "no repository handle", operation: "git_repository_open_ext")
        }
        return Repository(pointer: handle)
    }

    /// The repository's git directory (`git_repository_path`); for a worktree, its own one.
    public var gitDirectory: String { Self.trimmed(String(cString: git_repository_path(pointer))) }

    /// The directory shared by every worktree of the repository (`git_repository_commondir`).
    public var commonDirectory: String { Self.trimmed(String(cString: git_repository_commondir(pointer))) }

    /// The working tree, or nil for a bare repository (`git_repository_workdir`).
    public var workingDirectory: String? {
        git_repository_workdir(pointer).map { Self.trimmed(String(cString: $0)) }
    }

    /// Whether the repository has no working tree (`git_repository_is_bare`).
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// Whether the repository is a shallow clone (`git_repository_is_shallow`).
    public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    private static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// A read-only view of the repository's configuration, all levels merged
    /// (`git_repository_config_snapshot`).
    public func configuration() throws(GitError) -> Configuration {
        var handle: OpaquePointer?
        try check("git_repository_config_snapshot") { git_repository_config_snapshot(&handle, pointer) }
        guard let handle else {
            throw GitError(code: -1, message: "no config handle", operation: "git_repository_config_snapshot")
        }
        return Configuration(pointer: handle)
    }

    /// The URL of the named remote, with `url.<base>.insteadOf` rewriting applied
    /// (`git_remote_lookup`, `git_remote_url`); nil when there is no such remote.
    public func remoteURL(named name: String) throws(GitError) -> String? {
        var remote: OpaquePointer?
        do {
            try check("git_remote_lookup") { git_remote_lookup(&remote, pointer, name) }
        } catch GitError.notFound {
            return nil
        }
        guard let remote else { return nil }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// The names of all configured remotes (`git_remote_list`).
    public func remoteNames() throws(GitError) -> [String] {
        var list = git_strarray()
        try check("git_remote_list") { git_remote_list(&list, pointer) }
        defer { git_strarray_dispose(&list) }
        return (0..<list.count).compactMap { index in list.strings[index].map { String(cString: $0) } }
    }

    /// The commit that `HEAD` points to, or nil when `HEAD` names a branch with no commits yet.
    public func headCommit() throws(GitError) -> ObjectID? {
        var oid = git_oid()
        do {
            try check("git_reference_name_to_id") { git_reference_name_to_id(&oid, pointer, "HEAD") }
        } catch GitError.notFound {
            return nil
        } catch GitError.unbornBranch {
            return nil
        }
        return try peelToCommit(ObjectID(oid))
    }

    /// References whose names match `glob` (`git_reference_iterator_glob_new`), each resolved and
    /// peeled to the commit it designates. References that designate no commit (a tag of a tree,
    /// say) are left out.
    ///
    /// - Parameter knownCommits: ids known to be commits (the tips of the last scan, say); a
    ///   reference pointing straight at one of them is taken without reading the object at all.
    public func references(
        matching glob: String,
        knownCommits: Set<ObjectID> = []
    ) throws(GitError) -> [(name: String, commit: ObjectID)] {
        var iterator: OpaquePointer?
        try check("git_reference_iterator_glob_new") { git_reference_iterator_glob_new(&iterator, pointer, glob) }
        guard let iterator else { return [] }
        defer { git_reference_iterator_free(iterator) }

        var found: [(name: String, commit: ObjectID)] = []
        while true {
            var reference: OpaquePointer?
            do {
                try check("git_reference_next") { git_reference_next(&reference, iterator) }
            } catch GitError.iterationOver {
                break
            }
            guard let reference else { break }
            defer { git_reference_free(reference) }

            let name = String(cString: git_reference_name(reference))
            if git_reference_type(reference) == GIT_REFERENCE_DIRECT, let target = git_reference_target(reference),
                knownCommits.contains(ObjectID(target.pointee))
            {
                found.append((name, ObjectID(target.pointee)))
                continue
            }
            if let commit = try directCommit(of: reference) {
                found.append((name, commit))
                continue
            }
            var peeled: OpaquePointer?
            guard git_reference_peel(&peeled, reference, GIT_OBJECT_COMMIT) == 0, let peeled else { continue }
            defer { git_object_free(peeled) }
            found.append((name, ObjectID(git_object_id(peeled).pointee)))
        }
        releasePackPages()
        return found
    }

    /// The commit a reference points at directly, learnt from the object's header alone
    /// (`git_odb_read_header`); nil when it points at anything else (an annotated tag, a
    /// symbolic reference) or at nothing, which `git_reference_peel` then sorts out.
    ///
    /// A repository may have thousands of branches, and peeling each one would read and
    /// inflate its commit: most of the time of a sync that finds nothing new.
    private func directCommit(of reference: OpaquePointer) throws(GitError) -> ObjectID? {
        guard git_reference_type(reference) == GIT_REFERENCE_DIRECT, let target = git_reference_target(reference) else {
            return nil
        }
        // The entry header in a pack read directly says so without libgit2 mapping the pack and
        // its index for good (which would stay in the resident set of the scan that follows).
        let id = ObjectID(target.pointee)
        switch packedType(of: id) {
        case .some(GIT_OBJECT_COMMIT): return id
        case .some(GIT_OBJECT_TREE), .some(GIT_OBJECT_BLOB), .some(GIT_OBJECT_TAG): return nil
        default: break
        }
        let database = try objectDatabase()
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard git_odb_read_header(&size, &type, database, target) == 0, type == GIT_OBJECT_COMMIT else { return nil }
        return ObjectID(target.pointee)
    }

    /// Peels an object id (an annotated tag, say) to the commit it designates.
    func peelToCommit(_ id: ObjectID) throws(GitError) -> ObjectID? {
        var oid = id.oid
        var object: OpaquePointer?
        try check("git_object_lookup") { git_object_lookup(&object, pointer, &oid, GIT_OBJECT_ANY) }
        guard let object else { return nil }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0, let peeled else { return nil }
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled).pointee)
    }

    /// The repository's object database (`git_repository_odb`), opened once and kept.
    func objectDatabase() throws(GitError) -> OpaquePointer {
        if let cachedObjectDatabase { return cachedObjectDatabase }
        var handle: OpaquePointer?
        try check("git_repository_odb") { git_repository_odb(&handle, pointer) }
        guard let handle else {
            throw GitError(code: -1, message: "no object database", operation: "git_repository_odb")
        }
        cachedObjectDatabase = handle
        return handle
    }

    /// The commits that the repository's `shallow` file marks as cut off from their parents.
    public func shallowBoundary() -> Set<ObjectID> {
        let path = (commonDirectory as NSString).appendingPathComponent("shallow")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return Set(text.split(whereSeparator: \.isNewline).compactMap { ObjectID(hex: $0) })
    }
}

@available(*, unavailable, message: "libgit2 handles are confined to the task that opened them")
extension Repository: Sendable {}
