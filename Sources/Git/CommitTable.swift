/// Commits read in bulk, kept column by column in batches, so that a history of hundreds of
/// thousands of commits costs a few dozen bytes per commit and no object per commit.
///
/// A commit is known by its number in the table. Numbers run in batches of `batchSize`; a batch
/// may be only partly filled, so numbers can have gaps, but every number handed out is valid.
/// Not Sendable: one table belongs to one scan.
public final class CommitTable {
    static let batchShift = 11
    static let batchSize = 1 << batchShift

    /// The ids of each batch, fixed when the batch is made.
    var batchIDs: [[ObjectID]] = []
    /// What was read of each batch's commits.
    var batchColumns: [Columns] = []
    /// Every author identity, by number; commits name their author by number.
    public private(set) var identities: [Mailmap.Identity] = []

    /// The parents of a commit: `firstParent` holds an ordinary commit's one parent; merges,
    /// root commits and commits with a parent outside the table keep theirs in `otherParents`.
    enum Parent {
        case number(Int32)
        case id(ObjectID)
    }

    struct Columns {
        var authorTimes: [Int64] = []
        var authors: [Int32] = []
        /// Where each subject ends in `subjects`; it starts where the one before ends.
        var subjectEnds: [Int32] = []
        var subjects: [UInt8] = []
        /// The number of the only parent; `noParent` or `seeOtherParents` otherwise.
        var firstParents: [Int32] = []
        var otherParents: [Int32: [Parent]] = [:]
        var isMerge: [Bool] = []
        /// Slots whose object could not be inflated or parsed here; read through libgit2 instead.
        var unreadable: Set<Int32> = []

        static let noParent: Int32 = -1
        static let seeOtherParents: Int32 = -2

        init(capacity: Int = 0) {
            authorTimes.reserveCapacity(capacity)
            authors.reserveCapacity(capacity)
            subjectEnds.reserveCapacity(capacity)
            subjects.reserveCapacity(capacity * 40)
            firstParents.reserveCapacity(capacity)
            isMerge.reserveCapacity(capacity)
        }

        var count: Int { authorTimes.count }

        /// Parses a raw commit object into the next slot.
        ///
        /// - Parameters:
        ///   - identities: numbers the author identities.
        ///   - resolve: the table number of a parent id, nil when the table does not hold it.
        mutating func append(
            _ data: UnsafeRawBufferPointer,
            identities: IdentityNumbers,
            resolve: (ObjectID) -> Int32?
        ) {
            let slot = Int32(count)
            var parents: [Parent] = []
            var first: Parent?
            var parentCount = 0
            let fields = CommitParser.fields(of: data) { hex in
                guard let id = ObjectID(hexBytes: hex) else { return false }
                let parent = resolve(id).map(Parent.number) ?? .id(id)
                if parentCount == 0 {
                    first = parent
                } else {
                    if parentCount == 1, let first { parents.append(first) }
                    parents.append(parent)
                }
                parentCount += 1
                return true
            }
            guard let fields else {
                appendUnreadable()
                return
            }
            if parentCount == 0 {
                firstParents.append(Self.noParent)
            } else if parentCount == 1, case .number(let number) = first {
                firstParents.append(number)
            } else {
                firstParents.append(Self.seeOtherParents)
                otherParents[slot] = parentCount == 1 ? first.map { [$0] } ?? [] : parents
            }
            isMerge.append(parentCount > 1)

            if let line = fields.author {
                let parts = CommitParser.signatureParts(line)
                let key = UnsafeRawBufferPointer(rebasing: line[0..<parts.identityEnd])
                authors.append(identities.number(for: key) { CommitParser.identity(in: line, parts) })
                authorTimes.append(parts.time)
            } else {
                authors.append(
                    identities.number(for: UnsafeRawBufferPointer(start: nil, count: 0)) {
                        Mailmap.Identity(name: "", email: "")
                    }
                )
                authorTimes.append(0)
            }
            CommitParser.appendSubject(of: fields.message, encoding: fields.encoding, to: &subjects)
            subjectEnds.append(Int32(truncatingIfNeeded: subjects.count))
        }

        /// Fills the next slot with nothing, for an object that could not be read here.
        mutating func appendUnreadable() {
            unreadable.insert(Int32(count))
            authorTimes.append(0)
            authors.append(0)
            subjectEnds.append(Int32(truncatingIfNeeded: subjects.count))
            firstParents.append(Self.noParent)
            isMerge.append(false)
        }
    }

    // MARK: - Reading

    /// How many commits the table holds.
    public var count: Int { batchColumns.reduce(0) { $0 + $1.count } }

    public func id(at number: Int) -> ObjectID {
        batchIDs[number >> Self.batchShift][number & (Self.batchSize - 1)]
    }

    /// Author time in seconds since 1970 UTC.
    public func authorTime(at number: Int) -> Int64 {
        batchColumns[number >> Self.batchShift].authorTimes[number & (Self.batchSize - 1)]
    }

    /// The number of the author's identity in `identities`.
    public func authorNumber(at number: Int) -> Int {
        Int(batchColumns[number >> Self.batchShift].authors[number & (Self.batchSize - 1)])
    }

    public func author(at number: Int) -> Mailmap.Identity {
        identities[authorNumber(at: number)]
    }

    public func isMerge(at number: Int) -> Bool {
        batchColumns[number >> Self.batchShift].isMerge[number & (Self.batchSize - 1)]
    }

    /// The subject as `git log --format=%s` prints it.
    public func subject(at number: Int) -> String {
        withSubject(at: number) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the subject's UTF-8 bytes (which may be invalid UTF-8, as in the commit).
    public func withSubject<Result>(at number: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let columns = batchColumns[number >> Self.batchShift]
        let slot = number & (Self.batchSize - 1)
        let start = slot == 0 ? 0 : Int(UInt32(bitPattern: columns.subjectEnds[slot - 1]))
        let end = Int(UInt32(bitPattern: columns.subjectEnds[slot]))
        return columns.subjects.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// The commit as a value of its own.
    public func commit(at number: Int) -> Commit {
        let parents = parentIDs(at: number)
        return Commit(
            id: id(at: number),
            firstParent: parents.first,
            otherParents: Array(parents.dropFirst()),
            author: author(at: number),
            authorTime: authorTime(at: number),
            subject: subject(at: number)
        )
    }

    private func parentIDs(at number: Int) -> [ObjectID] {
        var ids: [ObjectID] = []
        forEachParent(of: number) { parent in
            switch parent {
            case .number(let parent): ids.append(id(at: Int(parent)))
            case .id(let parent): ids.append(parent)
            }
        }
        return ids
    }

    func forEachParent(of number: Int, _ body: (Parent) throws -> Void) rethrows {
        let columns = batchColumns[number >> Self.batchShift]
        let slot = number & (Self.batchSize - 1)
        let first = columns.firstParents[slot]
        if first >= 0 {
            try body(.number(first))
        } else if first == Columns.seeOtherParents {
            for parent in columns.otherParents[Int32(slot)] ?? [] { try body(parent) }
        }
    }

    func isUnreadable(_ number: Int) -> Bool {
        batchColumns[number >> Self.batchShift].unreadable.contains(Int32(number & (Self.batchSize - 1)))
    }

    // MARK: - Building

    /// Adds a batch whose ids are known and whose columns are filled later; returns its first number.
    func addBatch(ids: [ObjectID]) -> Int {
        batchIDs.append(ids)
        batchColumns.append(Columns())
        return (batchIDs.count - 1) << Self.batchShift
    }

    /// Parses a commit read elsewhere (through libgit2) into a new slot; returns its number.
    func append(
        id: ObjectID,
        data: UnsafeRawBufferPointer,
        identities numbers: IdentityNumbers,
        resolve: (ObjectID) -> Int32?
    ) -> Int {
        if batchIDs.isEmpty || batchIDs[batchIDs.count - 1].count == Self.batchSize
            || batchColumns[batchColumns.count - 1].count != batchIDs[batchIDs.count - 1].count
        {
            _ = addBatch(ids: [])
        }
        let last = batchIDs.count - 1
        batchIDs[last].append(id)
        batchColumns[last].append(data, identities: numbers, resolve: resolve)
        identities = numbers.identities
        return last << Self.batchShift | (batchIDs[last].count - 1)
    }

    /// Takes the identities of `numbers` as the table's, renumbering each batch read with
    /// `parts[batch]` into them first.
    func mergeIdentities(_ parts: [IdentityNumbers], batchPart: [Int], into numbers: IdentityNumbers) {
        let maps = parts.map { part in
            part.identityKeys.enumerated().map { index, key in
                key.withUnsafeBytes { bytes in numbers.number(for: bytes) { part.identities[index] } }
            }
        }
        for (batch, part) in batchPart.enumerated() where part >= 0 {
            let map = maps[part]
            batchColumns[batch].authors = batchColumns[batch].authors.map { map[Int($0)] }
        }
        identities = numbers.identities
    }
}

@available(*, unavailable, message: "a table belongs to one scan")
extension CommitTable: Sendable {}

/// Numbers author identities by their raw bytes (`Name <email>` as the signature line holds
/// them), making each identity's strings once.
///
/// Not Sendable: each thread numbers with its own, and the numbers are merged afterwards.
final class IdentityNumbers {
    private var buckets: [UInt64: [Int32]] = [:]
    private(set) var identityKeys: [[UInt8]] = []
    private(set) var identities: [Mailmap.Identity] = []

    func number(for bytes: UnsafeRawBufferPointer, make: () -> Mailmap.Identity) -> Int32 {
        // FNV-1a: a few dozen bytes, so a simple hash is fastest.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if let bucket = buckets[hash] {
            for number in bucket where identityKeys[Int(number)].elementsEqual(bytes) { return number }
        }
        let number = Int32(identities.count)
        identityKeys.append(Array(bytes))
        identities.append(make())
        buckets[hash, default: []].append(number)
        return number
    }
}
