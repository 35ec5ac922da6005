/// The parts of a commit that a history scan needs, copied out of the object database.
public struct Commit: Sendable {
    public let id: ObjectID
    public let parents: [ObjectID]
    /// The author's name and e-mail as recorded, before any mailmap.
    public let author: Mailmap.Identity
    /// Author time in seconds since 1970 UTC, as `git log --format=%at` prints it.
    public let authorTime: Int64
    /// The subject as `git log --format=%s` prints it: the first paragraph of the message,
    /// lines joined by one space, decoded to UTF-8 from the commit's declared encoding.
    public let subject: String

    public var isMerge: Bool { parents.count > 1 }
}

/// Parses a raw commit object the way git's own pretty-printer reads it.
///
/// The object looks like this (header lines, a blank line, then the message):
///
///     tree 9bedf67800b2923982bdf60c89c57ce6bf2d7bdb
///     parent 2c5d7e2b8d9cba18d2b9a1e53e7b0fdd95b5a2b1
///     author A U Thor <author@example.com> 1700000000 +0100
///     committer C O Mitter <committer@example.com> 1700000000 +0100
///     encoding ISO-8859-1
///     gpgsig -----BEGIN PGP SIGNATURE-----
///      (continuation lines start with a space)
///
///     Subject line
///     continues here
///
///     Body.
enum CommitParser {
    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")

    static func parse(id: ObjectID, data: UnsafeRawBufferPointer) throws(GitError) -> Commit {
        var parents: [ObjectID] = []
        var author = Mailmap.Identity(name: "", email: "")
        var authorTime: Int64 = 0
        var encoding: String?
        var position = 0
        let end = data.count

        // Header: one field per line until the first empty line.
        while position < end, data[position] != newline {
            let lineEnd = index(of: newline, in: data, from: position) ?? end
            let line = UnsafeRawBufferPointer(rebasing: data[position..<lineEnd])
            if hasPrefix(line, "parent ") {
                let hex = UnsafeRawBufferPointer(rebasing: line[7...])
                guard let parent = ObjectID(hexBytes: hex) else {
                    throw GitError(code: -1, message: "malformed parent line", operation: "parse commit \(id)")
                }
                parents.append(parent)
            } else if hasPrefix(line, "author ") {
                (author, authorTime) = parseSignature(UnsafeRawBufferPointer(rebasing: line[7...]))
            } else if hasPrefix(line, "encoding ") {
                encoding = String(decoding: UnsafeRawBufferPointer(rebasing: line[9...]), as: UTF8.self)
            }
            position = lineEnd + 1
        }
        position += 1

        let subjectBytes = subject(of: UnsafeRawBufferPointer(rebasing: data[min(position, end)..<end]))
        let subject = TextDecoding.decode(subjectBytes, declaredEncoding: encoding)
        return Commit(id: id, parents: parents, author: author, authorTime: authorTime, subject: subject)
    }

    /// Splits `Name <email> 1700000000 +0100` as git's `split_ident_line` does: the e-mail runs
    /// from the first `<` to the next `>`, the time follows the last `>`.
    static func parseSignature(_ line: UnsafeRawBufferPointer) -> (Mailmap.Identity, Int64) {
        guard let open = index(of: UInt8(ascii: "<"), in: line, from: 0) else {
            return (Mailmap.Identity(name: string(line, trimming: true), email: ""), 0)
        }
        let name = string(UnsafeRawBufferPointer(rebasing: line[0..<open]), trimming: true)
        let close = index(of: UInt8(ascii: ">"), in: line, from: open + 1) ?? line.count
        let email = string(UnsafeRawBufferPointer(rebasing: line[(open + 1)..<close]), trimming: false)

        var lastClose = line.count - 1
        while lastClose > open, line[lastClose] != UInt8(ascii: ">") { lastClose -= 1 }
        var cursor = lastClose + 1
        while cursor < line.count, isSpace(line[cursor]) { cursor += 1 }
        var time: Int64 = 0
        while cursor < line.count, line[cursor] >= UInt8(ascii: "0"), line[cursor] <= UInt8(ascii: "9") {
            let (product, overflowMultiply) = time.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = product.addingReportingOverflow(Int64(line[cursor] - UInt8(ascii: "0")))
            if overflowMultiply || overflowAdd { return (Mailmap.Identity(name: name, email: email), 0) }
            time = sum
            cursor += 1
        }
        return (Mailmap.Identity(name: name, email: email), time)
    }

    /// The first paragraph of a message, its lines stripped of trailing white space and joined
    /// with single spaces, after any leading blank lines (git's `format_subject`).
    static func subject(of message: UnsafeRawBufferPointer) -> [UInt8] {
        var result: [UInt8] = []
        var position = 0
        var started = false
        while position < message.count {
            let lineEnd = index(of: newline, in: message, from: position) ?? message.count
            var trimmedEnd = lineEnd
            while trimmedEnd > position, isSpace(message[trimmedEnd - 1]) { trimmedEnd -= 1 }
            let blank = trimmedEnd == position
            if blank {
                if started { break }
            } else {
                if started { result.append(space) }
                result.append(contentsOf: message[position..<trimmedEnd])
                started = true
            }
            position = lineEnd + 1
        }
        return result
    }

    // git's isspace: space, tab, newline and carriage return.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == UInt8(ascii: "\t") || byte == newline || byte == UInt8(ascii: "\r")
    }

    private static func index(of byte: UInt8, in data: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < data.count, let base = data.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), data.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard line.count >= count, let base = line.baseAddress else { return false }
        return memcmp(base, prefix.utf8Start, count) == 0
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, trimming: Bool) -> String {
        var end = bytes.count
        if trimming {
            while end > 0, isSpace(bytes[end - 1]) { end -= 1 }
        }
        return TextDecoding.decode(Array(bytes[0..<end]), declaredEncoding: nil)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
