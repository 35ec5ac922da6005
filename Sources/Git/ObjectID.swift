internal import Clibgit2

/// A SHA-1 object id (`git_oid`), kept as plain bytes so that it hashes and compares cheaply.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    // Twenty bytes in three words: cheaper to hash and compare than an array.
    private var high: UInt64
    private var middle: UInt64
    private var low: UInt32

    init(_ oid: git_oid) {
        var copy = oid
        (high, middle, low) = withUnsafeBytes(of: &copy.id) { raw in
            (
                raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
            )
        }
    }

    /// The id whose twenty raw bytes start `bytes` (a pack index holds them so).
    init(rawBytes bytes: UnsafeRawBufferPointer) {
        high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        middle = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        low = bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
    }

    /// Eight bytes of the id, which is itself a hash: enough to place it in a hash table.
    var bucketHash: UInt64 { high }

    /// Parses forty hexadecimal digits; nil for anything else.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 40 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 20)
        for index in 0..<20 {
            guard let high = Self.nibble(digits[2 * index]), let low = Self.nibble(digits[2 * index + 1]) else {
                return nil
            }
            bytes[index] = high << 4 | low
        }
        self.init(bytes: bytes)
    }

    /// Parses forty hexadecimal digits given as raw bytes, as they stand in a commit object.
    init?(hexBytes digits: UnsafeRawBufferPointer) {
        guard digits.count == 40 else { return nil }
        var oid = git_oid()
        let ok = withUnsafeMutableBytes(of: &oid.id) { out -> Bool in
            for index in 0..<20 {
                guard let high = Self.nibble(digits[2 * index]), let low = Self.nibble(digits[2 * index + 1]) else {
                    return false
                }
                out[index] = high << 4 | low
            }
            return true
        }
        guard ok else { return nil }
        self.init(oid)
    }

    private init(bytes: [UInt8]) {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { out in
            for (index, byte) in bytes.enumerated() { out[index] = byte }
        }
        self.init(oid)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The id as libgit2 wants it.
    var oid: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { out in
            out.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            out.storeBytes(of: middle, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: low, toByteOffset: 16, as: UInt32.self)
        }
        return oid
    }

    /// Forty lowercase hexadecimal digits, as git prints them.
    public var hex: String {
        var oid = self.oid
        return withUnsafeBytes(of: &oid.id) { raw in
            String(unsafeUninitializedCapacity: 40) { out in
                for index in 0..<20 {
                    out[2 * index] = Self.digit(raw[index] >> 4)
                    out[2 * index + 1] = Self.digit(raw[index] & 0x0f)
                }
                return 40
            }
        }
    }

    @inline(__always)
    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    public var description: String { hex }

    /// The order of the hexadecimal forms, compared without making them: the words hold the
    /// bytes in memory order, so they are compared as big-endian numbers.
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        (lhs.high.bigEndian, lhs.middle.bigEndian, lhs.low.bigEndian)
            < (rhs.high.bigEndian, rhs.middle.bigEndian, rhs.low.bigEndian)
    }
}
