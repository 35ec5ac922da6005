internal import Clibgit2
import Foundation

/// Process-wide libgit2 set-up: `git_libgit2_init` once, with the options the scanner wants.
enum Library {
    /// libgit2 is initialised on first use and stays so for the life of the process.
    ///
    /// The object cache is turned off (`GIT_OPT_ENABLE_CACHING`): a history scan reads each
    /// commit once, so the cache only doubles peak memory. Strict hash verification
    /// (`GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION`) is turned off as well, as git itself does
    /// not re-hash objects it reads from its own packs.
    static let initialized: Bool = {
        guard git_libgit2_init() > 0 else { return false }
        _ = worktrail_git_set_caching(0)
        _ = worktrail_git_set_strict_hash_verification(0)
        return true
    }()

    static func ensureInitialized() throws(GitError) {
        guard initialized else {
            throw GitError(code: -1, message: "libgit2 could not be initialised", operation: "git_libgit2_init")
        }
    }
}
