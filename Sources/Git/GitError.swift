internal import Clibgit2

/// An error reported by libgit2, or by this wrapper about a git object it could not read.
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// The libgit2 return code (`git_error_code`), such as `GIT_ENOTFOUND` (-3).
    public let code: Int32
    /// The libgit2 error class (`git_error_t`), 0 when libgit2 set none.
    public let errorClass: Int32
    /// libgit2's message, or ours when the failure was detected in Swift.
    public let message: String
    /// The libgit2 function (or wrapper operation) that failed.
    public let operation: String

    public init(code: Int32, errorClass: Int32 = 0, message: String, operation: String) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.operation = operation
    }

    public var description: String {
        "\(operation) failed: \(message)"
    }

    /// `GIT_ENOTFOUND`: the object, reference or config key does not exist.
    public static let notFound = GitError(code: -3, message: "not found", operation: "")
    /// `GIT_EUNBORNBRANCH`: `HEAD` names a branch with no commit yet.
    public static let unbornBranch = GitError(code: -9, message: "unborn branch", operation: "")
    /// `GIT_ITEROVER`: an iterator has no more items.
    public static let iterationOver = GitError(code: -31, message: "iteration over", operation: "")

    /// Matches errors by code, so that `catch GitError.notFound` reads naturally.
    public static func ~= (pattern: GitError, value: any Error) -> Bool {
        guard let error = value as? GitError else { return false }
        return error.code == pattern.code
    }
}

/// Runs one libgit2 call and turns a negative result into a `GitError` carrying libgit2's message.
///
/// The last error is read at once, on the same thread, as `git_error_last` is per-thread and may
/// be overwritten by the next libgit2 call. libgit2 1.5 can return NULL there, hence the fallback.
@discardableResult
func check(_ operation: String, _ call: () -> Int32) throws(GitError) -> Int32 {
    let result = call()
    guard result < 0 else { return result }
    if let last = git_error_last(), let text = last.pointee.message {
        throw GitError(
            code: result,
            errorClass: last.pointee.klass,
            message: String(cString: text),
            operation: operation
        )
    }
    throw GitError(code: result, message: "libgit2 error \(result)", operation: operation)
}
