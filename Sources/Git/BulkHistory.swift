internal import Clibgit2
import Foundation

extension Repository {
    /// Every commit reachable from `tips`, read in bulk, with their numbers in no particular order.
    ///
    /// A walk from commit to parent is a chain: each commit is known only once its child has
    /// been inflated, so it cannot use more than one core. Instead, every commit object in the
    /// repository's packs is found from the pack indexes and inflated and parsed on all cores
    /// at once; the walk then runs over the parsed parents in memory. Commits that are not in a
    /// pack (loose objects, alternates, deltas) are read through libgit2 when the walk reaches
    /// them. Commits no tip reaches are read too, but never returned.
    ///
    /// Parents cut off by a shallow clone are not followed. Any other missing commit is an error.
    public func reachableCommits(from tips: [ObjectID]) throws -> (commits: CommitTable, reachable: [Int]) {
        let table = CommitTable()
        let identities = IdentityNumbers()
        let packs = packs()
        let numbers = BulkRead.read(packs: packs, into: table, identities: identities)
        let boundary = isShallow ? shallowBoundary() : []

        var walk = Walk(table: table, packNumbers: numbers)
        for tip in tips {
            walk.push(try walk.number(of: tip, repository: self, identities: identities))
        }
        var reachable: [Int] = []
        while let popped = walk.pending.popLast() {
            guard walk.visit(popped) else { continue }
            var number = popped
            if table.isUnreadable(number) {
                // Damaged in the pack as this reader sees it: libgit2 reads it or names the fault.
                number = try walk.reread(number, repository: self, identities: identities)
            }
            reachable.append(number)
            guard boundary.isEmpty || !boundary.contains(table.id(at: number)) else { continue }
            try table.forEachParent(of: number) { parent in
                switch parent {
                case .number(let parent):
                    walk.push(Int(parent))
                case .id(let id):
                    walk.push(try walk.number(of: id, repository: self, identities: identities))
                }
            }
        }
        // The packs' mappings go with them; libgit2 maps what it needs again.
        cachedPacks = nil
        return (table, reachable)
    }

    /// The commits `ids`, read one by one through libgit2 into a table, with their numbers in
    /// the order of `ids`.
    public func commits(_ ids: [ObjectID]) throws -> (commits: CommitTable, numbers: [Int]) {
        let table = CommitTable()
        let identities = IdentityNumbers()
        let numbers = try ids.map { id in
            try withRawCommit(id) { data in table.append(id: id, data: data, identities: identities) { _ in nil } }
        }
        return (table, numbers)
    }

    /// The packs of the object directory and its alternates, opened once.
    func packs() -> [Pack] {
        if let cachedPacks { return cachedPacks }
        let packs = objectDirectories().flatMap(Self.packs(in:))
        cachedPacks = packs
        return packs
    }

    /// The type of `id` from its pack entry header, when a pack read directly holds it as a
    /// whole object; nil when it is stored as a delta, loose, or not at all.
    func packedType(of id: ObjectID) -> git_object_t? {
        // A look-up touches a dozen scattered pages, and the kernel maps the large page-cache
        // folios around them whole: thousands of look-ups would make both files resident.
        packLookups += 1
        if packLookups >= 1024 { releasePackPages() }
        for pack in packs() {
            guard let position = pack.position(of: id) else { continue }
            guard let offset = pack.offset(at: position), let entry = pack.entry(at: offset) else { return nil }
            return (1...4).contains(entry.type) ? git_object_t(rawValue: Int32(entry.type)) : nil
        }
        return nil
    }

    /// Gives back the pages of the packs read directly (`MappedFile.release`).
    func releasePackPages() {
        packLookups = 0
        for pack in cachedPacks ?? [] {
            pack.index.release(0..<pack.index.bytes.count)
            pack.data.release(0..<pack.data.bytes.count)
        }
    }

    /// The object directory and those of its alternates (`objects/info/alternates`), one level deep.
    private func objectDirectories() -> [String] {
        let objects = (commonDirectory as NSString).appendingPathComponent("objects")
        var directories = [objects]
        let alternates = (objects as NSString).appendingPathComponent("info/alternates")
        if let text = try? String(contentsOfFile: alternates, encoding: .utf8) {
            for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
                let path = String(line).trimmingCharacters(in: .whitespaces)
                guard !path.isEmpty else { continue }
                directories.append(path.hasPrefix("/") ? path : (objects as NSString).appendingPathComponent(path))
            }
        }
        return directories
    }

    private static func packs(in objectDirectory: String) -> [Pack] {
        let directory = (objectDirectory as NSString).appendingPathComponent("pack")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".idx") }.sorted().compactMap { name in
            let base = (directory as NSString).appendingPathComponent(String(name.dropLast(4)))
            return Pack(indexPath: base + ".idx", packPath: base + ".pack")
        }
    }

    /// Reads one commit object through libgit2 (`git_odb_read`) and hands its raw bytes to `body`.
    func withRawCommit<Result>(
        _ id: ObjectID,
        _ body: (UnsafeRawBufferPointer) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        let database = try objectDatabase()
        var oid = id.oid
        var object: OpaquePointer?
        try check("git_odb_read(\(id.hex))") { git_odb_read(&object, database, &oid) }
        guard let object else {
            throw GitError(code: -3, message: "object \(id.hex) not found", operation: "git_odb_read")
        }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_COMMIT else {
            throw GitError(code: -1, message: "object \(id.hex) is not a commit", operation: "git_odb_read")
        }
        return try body(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
    }
}

/// The walk over a `CommitTable`: which numbers were visited, which are still to visit, and the
/// commits read through libgit2 on the way.
private struct Walk {
    let table: CommitTable
    let packNumbers: ObjectNumbers
    var elsewhere: [ObjectID: Int] = [:]
    var pending: [Int] = []
    private var visited: [UInt64] = []

    init(table: CommitTable, packNumbers: ObjectNumbers) {
        self.table = table
        self.packNumbers = packNumbers
    }

    mutating func push(_ number: Int) {
        if !isVisited(number) { pending.append(number) }
    }

    /// Marks `number` visited; false when it already was.
    mutating func visit(_ number: Int) -> Bool {
        let word = number >> 6
        if word >= visited.count { visited += [UInt64](repeating: 0, count: word - visited.count + 1024) }
        let bit: UInt64 = 1 << UInt64(number & 63)
        guard visited[word] & bit == 0 else { return false }
        visited[word] |= bit
        return true
    }

    private func isVisited(_ number: Int) -> Bool {
        let word = number >> 6
        return word < visited.count && visited[word] & (1 << UInt64(number & 63)) != 0
    }

    /// The table number of `id`, reading the commit through libgit2 when no pack held it.
    mutating func number(of id: ObjectID, repository: Repository, identities: IdentityNumbers) throws -> Int {
        if let number = packNumbers.find(id) { return Int(number) }
        if let number = elsewhere[id] { return number }
        let number = try read(id, repository: repository, identities: identities)
        return number
    }

    /// Reads the commit in slot `number` again through libgit2 into a new slot, visited already.
    mutating func reread(_ number: Int, repository: Repository, identities: IdentityNumbers) throws -> Int {
        let replacement = try read(table.id(at: number), repository: repository, identities: identities)
        _ = visit(replacement)
        return replacement
    }

    private mutating func read(_ id: ObjectID, repository: Repository, identities: IdentityNumbers) throws -> Int {
        let number = try repository.withRawCommit(id) { data in
            table.append(id: id, data: data, identities: identities) { parent in
                packNumbers.find(parent) ?? elsewhere[parent].map { Int32($0) }
            }
        }
        elsewhere[id] = number
        return number
    }
}

/// An open-addressing hash table from object id to table number, for the commits of the packs.
///
/// Ids are hashes already, so eight of their bytes place them. Read-only once built, so every
/// thread may look up in it at once.
struct ObjectNumbers: Sendable {
    private var slots: [Int32]
    private let mask: Int
    private let ids: [[ObjectID]]

    /// Numbers every id of `batches` (batch `b`, slot `s` is number `b << batchShift | s`);
    /// an id found in two packs keeps its first number.
    init(batches: [[ObjectID]]) {
        ids = batches
        let count = batches.reduce(0) { $0 + $1.count }
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        mask = capacity - 1
        slots = [Int32](repeating: -1, count: capacity)
        for (batch, batchIDs) in batches.enumerated() {
            for (slot, id) in batchIDs.enumerated() {
                insert(id, number: Int32(batch << CommitTable.batchShift | slot))
            }
        }
    }

    private mutating func insert(_ id: ObjectID, number: Int32) {
        var position = Int(truncatingIfNeeded: id.bucketHash) & mask
        while slots[position] >= 0 {
            if self.id(Int(slots[position])) == id { return }
            position = (position + 1) & mask
        }
        slots[position] = number
    }

    private func id(_ number: Int) -> ObjectID {
        ids[number >> CommitTable.batchShift][number & (CommitTable.batchSize - 1)]
    }

    func find(_ id: ObjectID) -> Int32? {
        var position = Int(truncatingIfNeeded: id.bucketHash) & mask
        while true {
            let number = slots[position]
            if number < 0 { return nil }
            if self.id(Int(number)) == id { return number }
            position = (position + 1) & mask
        }
    }
}

/// Finds the commit objects in packs and parses them on every core.
///
/// `@unchecked Sendable`: the packs are read-only mappings, the numbers table is immutable while
/// the workers run, and each worker writes only the result slots of the chunks it claimed, under
/// `lock`.
private final class BulkRead: @unchecked Sendable {
    /// A run of commits of one pack, in pack order: one table batch.
    struct Chunk {
        var pack: Int
        var offsets: [Int]
    }

    let packs: [Pack]
    let chunks: [Chunk]
    let numbers: ObjectNumbers
    let lock = NSLock()
    var nextChunk = 0
    var results: [CommitTable.Columns?]
    var chunkPart: [Int]
    var parts: [IdentityNumbers] = []

    private init(packs: [Pack], chunks: [Chunk], numbers: ObjectNumbers) {
        self.packs = packs
        self.chunks = chunks
        self.numbers = numbers
        results = Array(repeating: nil, count: chunks.count)
        chunkPart = Array(repeating: -1, count: chunks.count)
    }

    /// Adds every commit of `packs` to `table` as batches and returns their numbers by id.
    static func read(packs: [Pack], into table: CommitTable, identities: IdentityNumbers) -> ObjectNumbers {
        var chunks: [Chunk] = []
        var seen = Set<ObjectID>()
        for (packNumber, pack) in packs.enumerated() {
            let commits = commitEntries(of: pack)

            var start = 0
            while start < commits.count {
                var ids: [ObjectID] = []
                var offsets: [Int] = []
                ids.reserveCapacity(CommitTable.batchSize)
                offsets.reserveCapacity(CommitTable.batchSize)
                var next = start
                while next < commits.count, ids.count < CommitTable.batchSize {
                    let id = pack.id(at: Int(commits[next].position))
                    if packs.count == 1 || seen.insert(id).inserted {
                        ids.append(id)
                        offsets.append(commits[next].offset)
                    }
                    next += 1
                }
                start = next
                if ids.isEmpty { continue }
                _ = table.addBatch(ids: ids)
                chunks.append(Chunk(pack: packNumber, offsets: offsets))
            }
            pack.index.release(0..<pack.index.bytes.count)
        }

        let numbers = ObjectNumbers(batches: table.batchIDs)
        guard !chunks.isEmpty else { return numbers }
        let read = BulkRead(packs: packs, chunks: chunks, numbers: numbers)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4, chunks.count))
        read.parts = (0..<workers).map { _ in IdentityNumbers() }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in read.work(as: worker) }

        for (chunk, columns) in read.results.enumerated() {
            table.batchColumns[chunk] = columns ?? CommitTable.Columns()
        }
        table.mergeIdentities(read.parts, batchPart: read.chunkPart, into: identities)
        return numbers
    }

    /// The commit entries of a pack (type 1 in their entry header) in pack order.
    ///
    /// The index lists objects by id, which scatters them over the whole pack; they are first
    /// grouped by region of the pack (a counting sort), and each region's pages are given back
    /// once its headers are read, so that the pass never holds more than one region.
    private static func commitEntries(of pack: Pack) -> [(offset: Int, position: Int32)] {
        let regionShift = 20
        let regions = pack.data.bytes.count >> regionShift + 1
        var offsets = [Int](repeating: -1, count: pack.count)
        var regionStarts = [Int](repeating: 0, count: regions + 1)
        for position in 0..<pack.count {
            guard let offset = pack.offset(at: position) else { continue }
            offsets[position] = offset
            regionStarts[offset >> regionShift + 1] += 1
        }
        for region in 0..<regions { regionStarts[region + 1] += regionStarts[region] }
        var byRegion = [Int32](repeating: 0, count: regionStarts[regions])
        var next = regionStarts
        for (position, offset) in offsets.enumerated() where offset >= 0 {
            byRegion[next[offset >> regionShift]] = Int32(position)
            next[offset >> regionShift] += 1
        }

        var commits: [(offset: Int, position: Int32)] = []
        for region in 0..<regions {
            let first = commits.count
            for position in byRegion[regionStarts[region]..<regionStarts[region + 1]] {
                let offset = offsets[Int(position)]
                if let entry = pack.entry(at: offset), entry.type == 1 { commits.append((offset, position)) }
            }
            commits[first...].sort { $0.offset < $1.offset }
            pack.data.release(region << regionShift..<(region + 1) << regionShift)
        }
        return commits
    }

    private func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextChunk < chunks.count else { return nil }
        nextChunk += 1
        return nextChunk - 1
    }

    private func work(as worker: Int) {
        let inflater = Inflater()
        let identities = parts[worker]
        while let chunkNumber = claim() {
            let chunk = chunks[chunkNumber]
            let pack = packs[chunk.pack]
            let bytes = pack.data.bytes
            var columns = CommitTable.Columns(capacity: chunk.offsets.count)
            for offset in chunk.offsets {
                guard let entry = pack.entry(at: offset),
                    let data = inflater.inflate(
                        UnsafeRawBufferPointer(rebasing: bytes[entry.dataStart...]),
                        size: entry.size
                    )
                else {
                    columns.appendUnreadable()
                    continue
                }
                columns.append(data, identities: identities) { numbers.find($0) }
            }
            if let first = chunk.offsets.first, let last = chunk.offsets.last {
                pack.data.release(first..<last)
            }
            lock.lock()
            results[chunkNumber] = columns
            chunkPart[chunkNumber] = worker
            lock.unlock()
        }
    }
}
