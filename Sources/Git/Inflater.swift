internal import CZlib

/// One zlib stream (`z_stream`), reset for object after object (`inflateReset`), so that its
/// state and window are allocated once per thread rather than once per object.
///
/// Not Sendable: each thread inflates with its own.
final class Inflater {
    // zlib keeps a pointer back to the stream in its state, so the stream needs a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>
    private let ready: Bool
    private var output: UnsafeMutableRawBufferPointer

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        ready = worktrail_inflate_init(stream) == Z_OK
        output = .allocate(byteCount: 4096, alignment: 8)
    }

    deinit {
        if ready { inflateEnd(stream) }
        stream.deallocate()
        output.deallocate()
    }

    /// Inflates the zlib stream at the start of `input` (`inflate` with `Z_FINISH`), which must
    /// hold exactly `size` bytes.
    ///
    /// - Returns: the inflated bytes, valid until the next call; nil when the stream is damaged or
    ///   its length is not `size`.
    func inflate(_ input: UnsafeRawBufferPointer, size: Int) -> UnsafeRawBufferPointer? {
        guard ready, let source = input.baseAddress, size < Int(UInt32.max) else { return nil }
        if output.count < size + 1 {
            output.deallocate()
            output = .allocate(byteCount: max(size + 1, output.count * 2), alignment: 8)
        }
        guard inflateReset(stream) == Z_OK, let target = output.baseAddress else { return nil }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(min(input.count, Int(UInt32.max)))
        stream.pointee.next_out = target.assumingMemoryBound(to: Bytef.self)
        // One byte more than expected, so that a stream longer than its header says is caught.
        stream.pointee.avail_out = UInt32(size + 1)
        guard CZlib.inflate(stream, Z_FINISH) == Z_STREAM_END, Int(stream.pointee.total_out) == size else {
            return nil
        }
        return UnsafeRawBufferPointer(start: target, count: size)
    }
}
