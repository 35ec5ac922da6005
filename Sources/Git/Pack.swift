#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file mapped read-only into memory (`mmap`), unmapped in `deinit`.
///
/// Not Sendable as a class, but its bytes never change, so threads may read them at once.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    /// Maps the whole file; nil when it cannot be opened, is empty, or cannot be mapped.
    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }

        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            return nil
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }

    /// Gives back the memory of the whole pages inside `range` (`madvise(MADV_DONTNEED)`).
    ///
    /// The file is unchanged and the pages are read again from the page cache if touched, so
    /// this only keeps pages that a pass over the file has finished with out of the resident set.
    func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = min(range.upperBound, bytes.count) / page * page
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}

/// One pack of the object database (`objects/pack/pack-<hash>.pack`) with its version-2 index
/// (`.idx`), read directly rather than through libgit2.
///
/// The index holds, after an 8-byte header and a 256-entry fan-out table, every object id in
/// sorted order, then a CRC per object, then each object's offset in the pack (31 bits, or an
/// index into a table of 64-bit offsets when the top bit is set):
///
///     ff 74 4f 63 | 00 00 00 02 | fan-out: 256 x u32 | ids: n x 20 | crc: n x u32 | offsets: n x u32 | ...
///
/// A pack is `PACK`, a version (2 or 3), the object count, then the entries. Each entry starts
/// with its type (bits 4-6 of the first byte) and inflated size (a little-endian base-128
/// number, 4 bits in the first byte), followed by the zlib stream, or for a delta first a
/// reference to its base.
final class Pack {
    let index: MappedFile
    let data: MappedFile
    let count: Int

    private static let namesStart = 8 + 256 * 4

    /// Opens a pack and its index; nil when either is missing, of a version this reader does not
    /// know, or inconsistent. Its objects are then read through libgit2 instead.
    init?(indexPath: String, packPath: String) {
        guard let index = MappedFile(path: indexPath), let data = MappedFile(path: packPath) else { return nil }
        let idx = index.bytes
        guard idx.count >= Self.namesStart, Self.u32(idx, 0) == 0xff74_4f63, Self.u32(idx, 4) == 2 else { return nil }
        let count = Int(Self.u32(idx, Self.namesStart - 4))
        guard idx.count >= Self.namesStart + count * 28 + 40 else { return nil }

        let pack = data.bytes
        guard pack.count >= 12 + 20, Self.u32(pack, 0) == 0x5041_434b else { return nil }
        let version = Self.u32(pack, 4)
        guard version == 2 || version == 3, Int(Self.u32(pack, 8)) == count else { return nil }
        self.index = index
        self.data = data
        self.count = count
    }

    /// The id of the object at `position` in the index's sorted order.
    func id(at position: Int) -> ObjectID {
        ObjectID(rawBytes: UnsafeRawBufferPointer(rebasing: index.bytes[(Self.namesStart + position * 20)...]))
    }

    /// The position of `id` in the index (fan-out table, then a binary search); nil when the
    /// pack does not hold it.
    func position(of id: ObjectID) -> Int? {
        let idx = index.bytes
        var target = id.oid
        return withUnsafeBytes(of: &target.id) { wanted -> Int? in
            let first = Int(wanted[0])
            var low = first == 0 ? 0 : Int(Self.u32(idx, 8 + (first - 1) * 4))
            var high = Int(Self.u32(idx, 8 + first * 4))
            guard low <= high, high <= count, let base = idx.baseAddress, let key = wanted.baseAddress else {
                return nil
            }
            while low < high {
                let middle = (low + high) / 2
                let order = memcmp(base + Self.namesStart + middle * 20, key, 20)
                if order == 0 { return middle }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// Where the object at `position` starts in the pack; nil when the index points outside it.
    func offset(at position: Int) -> Int? {
        let offsets = Self.namesStart + count * 24
        let small = Self.u32(index.bytes, offsets + position * 4)
        var offset = Int(small)
        if small & 0x8000_0000 != 0 {
            let large = offsets + count * 4 + Int(small & 0x7fff_ffff) * 8
            guard large + 8 <= index.bytes.count - 40 else { return nil }
            offset = Int(Self.u32(index.bytes, large)) << 32 | Int(Self.u32(index.bytes, large + 4))
        }
        return offset >= 12 && offset < data.bytes.count - 20 ? offset : nil
    }

    /// The type (`GIT_OBJECT_*` numbering: 1 commit, 6 and 7 deltas), inflated size and start of
    /// the zlib stream of the entry at `offset`; nil for a header that runs off the pack.
    func entry(at offset: Int) -> (type: Int, size: Int, dataStart: Int)? {
        let pack = data.bytes
        let end = pack.count - 20
        var cursor = offset
        guard cursor < end else { return nil }
        var byte = pack[cursor]
        cursor += 1
        let type = Int(byte >> 4) & 7
        var size = Int(byte & 0x0f)
        var shift = 4
        while byte & 0x80 != 0 {
            guard cursor < end, shift < 57 else { return nil }
            byte = pack[cursor]
            cursor += 1
            size |= Int(byte & 0x7f) << shift
            shift += 7
        }
        return (type, size, cursor)
    }

    static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
