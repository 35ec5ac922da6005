internal import Clibgit2

extension Repository {
    /// Reads one commit from the object database (`git_odb_read`) and parses it.
    ///
    /// - Throws: `GitError` when the object is missing, is not a commit, or cannot be parsed.
    public func commit(_ id: ObjectID) throws(GitError) -> Commit {
        try commit(id, identities: nil)
    }

    func commit(_ id: ObjectID, identities: IdentityTable?) throws(GitError) -> Commit {
        try withRawCommit(id) { data throws(GitError) in
            try CommitParser.parse(id: id, data: data, identities: identities)
        }
    }

    /// Visits every commit reachable from `tips` once, in no particular order, reading each
    /// commit object once.
    ///
    /// Parents cut off by a shallow clone are not followed. Any other missing commit is an error.
    public func forEachCommit(
        reachableFrom tips: [ObjectID],
        _ visit: (Commit) throws -> Void
    ) throws {
        let (table, reachable) = try reachableCommits(from: tips)
        for number in reachable {
            try visit(table.commit(at: number))
        }
    }

    /// The commits reachable from `tips` and not from `hidden` (`git_revwalk` with push and hide),
    /// in no particular order.
    ///
    /// Hidden commits that no longer exist (collected as garbage after a rewrite) are ignored.
    public func commitIDs(reachableFrom tips: [ObjectID], excluding hidden: [ObjectID]) throws(GitError) -> [ObjectID] {
        var walk: OpaquePointer?
        try check("git_revwalk_new") { git_revwalk_new(&walk, pointer) }
        guard let walk else { return [] }
        defer { git_revwalk_free(walk) }
        try check("git_revwalk_sorting") { git_revwalk_sorting(walk, GIT_SORT_NONE.rawValue) }

        for tip in tips {
            var oid = tip.oid
            try check("git_revwalk_push(\(tip.hex))") { git_revwalk_push(walk, &oid) }
        }
        let database = try objectDatabase()
        for id in hidden {
            var oid = id.oid
            guard git_odb_exists(database, &oid) == 1 else { continue }
            try check("git_revwalk_hide(\(id.hex))") { git_revwalk_hide(walk, &oid) }
        }

        var ids: [ObjectID] = []
        var oid = git_oid()
        while true {
            do {
                try check("git_revwalk_next") { git_revwalk_next(&oid, walk) }
            } catch GitError.iterationOver {
                return ids
            }
            ids.append(ObjectID(oid))
        }
    }
}
