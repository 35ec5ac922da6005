internal import Clibgit2

/// A repository's mailmap (`git_mailmap`): its `.mailmap` file (from the working tree, or from
/// `HEAD` in a bare repository), plus `mailmap.file` and `mailmap.blob` from the configuration.
///
/// Look-ups are remembered, since a history has few distinct authors and many commits.
public final class Mailmap {
    private let pointer: OpaquePointer
    private var resolved: [Identity: Identity] = [:]

    /// A name and e-mail address as they stand in a commit signature.
    public struct Identity: Hashable, Sendable {
        public var name: String
        public var email: String

        public init(name: String, email: String) {
            self.name = name
            self.email = email
        }
    }

    /// Loads the mailmap of `repository` (`git_mailmap_from_repository`).
    public init(repository: Repository) throws(GitError) {
        var handle: OpaquePointer?
        try check("git_mailmap_from_repository") { git_mailmap_from_repository(&handle, repository.pointer) }
        guard let handle else {
            throw GitError(code: -1, message: "no mailmap handle", operation: "git_mailmap_from_repository")
        }
        pointer = handle
    }

    deinit {
        git_mailmap_free(pointer)
    }

    /// The canonical name and e-mail for an identity (`git_mailmap_resolve`), itself when no
    /// mailmap entry applies.
    public func resolve(_ identity: Identity) -> Identity {
        if let known = resolved[identity] { return known }
        // libgit2 may answer with the very pointers it was given, so the C strings must stay
        // alive until the answer is copied out.
        let result = identity.name.withCString { name in
            identity.email.withCString { email in
                var realName: UnsafePointer<CChar>?
                var realEmail: UnsafePointer<CChar>?
                guard git_mailmap_resolve(&realName, &realEmail, pointer, name, email) == 0 else { return identity }
                return Identity(
                    name: realName.map { String(cString: $0) } ?? identity.name,
                    email: realEmail.map { String(cString: $0) } ?? identity.email
                )
            }
        }
        resolved[identity] = result
        return result
    }
}

@available(*, unavailable, message: "libgit2 handles are confined to the task that opened them")
extension Mailmap: Sendable {}
