internal import Clibgit2

/// A read-only snapshot of a repository's configuration (`git_config` from
/// `git_repository_config_snapshot`), every level merged: system, global, local, worktree.
public final class Configuration {
    private let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_config_free(pointer)
    }

    /// The value of `key` (`git_config_get_string`), or nil when it is not set.
    public func string(_ key: String) throws(GitError) -> String? {
        var value: UnsafePointer<CChar>?
        do {
            try check("git_config_get_string(\(key))") { git_config_get_string(&value, pointer, key) }
        } catch GitError.notFound {
            return nil
        }
        return value.map { String(cString: $0) }
    }

    /// The value of `key` read as a git boolean (`git_config_get_bool`: true/yes/on/1 and
    /// false/no/off/0), or nil when it is not set.
    ///
    /// - Throws: `GitError` naming the key when the value is not a boolean.
    public func bool(_ key: String) throws(GitError) -> Bool? {
        var value: Int32 = 0
        do {
            try check("git_config_get_bool(\(key))") { git_config_get_bool(&value, pointer, key) }
        } catch GitError.notFound {
            return nil
        }
        return value != 0
    }

    /// Every value of a key that may be given several times (`git_config_multivar_iterator_new`).
    public func strings(_ key: String) throws(GitError) -> [String] {
        var iterator: OpaquePointer?
        do {
            try check("git_config_multivar_iterator_new(\(key))") {
                git_config_multivar_iterator_new(&iterator, pointer, key, nil)
            }
        } catch GitError.notFound {
            return []
        }
        return try drain(iterator).map(\.value)
    }

    /// Every entry whose key matches the regular expression (`git_config_iterator_glob_new`),
    /// keys as libgit2 normalises them (section and variable lowercased).
    public func entries(matching regex: String) throws(GitError) -> [(key: String, value: String)] {
        var iterator: OpaquePointer?
        try check("git_config_iterator_glob_new") { git_config_iterator_glob_new(&iterator, pointer, regex) }
        return try drain(iterator)
    }

    private func drain(_ iterator: OpaquePointer?) throws(GitError) -> [(key: String, value: String)] {
        guard let iterator else { return [] }
        defer { git_config_iterator_free(iterator) }
        var entries: [(key: String, value: String)] = []
        while true {
            var entry: UnsafeMutablePointer<git_config_entry>?
            do {
                try check("git_config_next") { git_config_next(&entry, iterator) }
            } catch GitError.iterationOver {
                return entries
            }
            guard let entry, let name = entry.pointee.name else { continue }
            entries.append((String(cString: name), entry.pointee.value.map { String(cString: $0) } ?? ""))
        }
    }
}

@available(*, unavailable, message: "libgit2 handles are confined to the task that opened them")
extension Configuration: Sendable {}
