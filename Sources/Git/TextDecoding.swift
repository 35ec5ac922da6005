#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns commit text into Swift strings as `git log` would show it on a UTF-8 terminal.
enum TextDecoding {
    /// Decodes `bytes` from the commit's declared encoding (its `encoding` header) to UTF-8.
    ///
    /// With no header, or a UTF-8 one, the bytes are taken as UTF-8. Otherwise iconv converts
    /// them. Bytes that are valid in neither become U+FFFD, so that an entry can always be sent.
    static func decode(_ bytes: [UInt8], declaredEncoding: String?) -> String {
        if let encoding = declaredEncoding, !isUTF8(encoding), let converted = convert(bytes, from: encoding) {
            return converted
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isUTF8(_ name: String) -> Bool {
        let normalized = name.lowercased().filter { $0 != "-" && $0 != "_" }
        return normalized == "utf8"
    }

    /// Whether an encoding name as it stands in a commit header (raw bytes) means UTF-8:
    /// `UTF-8`, `utf8`, `UTF_8` and so on.
    static func isUTF8(_ name: UnsafeRawBufferPointer) -> Bool {
        var letters: [UInt8] = []
        for byte in name where byte != UInt8(ascii: "-") && byte != UInt8(ascii: "_") {
            letters.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        return letters == Array("utf8".utf8)
    }

    /// Converts with iconv; nil when iconv does not know the encoding or the bytes are invalid in it.
    private static func convert(_ bytes: [UInt8], from encoding: String) -> String? {
        let converter = iconv_open("UTF-8", encoding)
        guard let converter, converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }

        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
        let outputCapacity = output.count
        var inputLeft = input.count
        var outputLeft = outputCapacity
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = inBuffer.baseAddress
                var outPointer = outBuffer.baseAddress
                return iconv(converter, &inPointer, &inputLeft, &outPointer, &outputLeft)
            }
        }
        guard status != -1, inputLeft == 0 else { return nil }
        let produced = output[0..<(outputCapacity - outputLeft)].map { UInt8(bitPattern: $0) }
        return String(validating: produced, as: UTF8.self)
    }
}
