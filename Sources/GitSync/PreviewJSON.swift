import WorkTrailHub

extension RepositorySync.PreviewLine {
    /// Appends the line as one JSON object, without the newline: the same bytes as
    /// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` gives, written directly.
    ///
    /// A first preview prints a whole history, and JSONEncoder's boxing per value costs more
    /// than reading the commits does.
    ///
    ///     {"commit":"<sha>","entry":{"employee_id":7,"link":"https://…","privacy":"private",
    ///      "srctype":"scm","summary":"repo: Fix","time":1700000000}}
    ///
    /// (one line in the output; cut here for width).
    public func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"commit":"#.utf8)
        JSONText.appendString(commit, to: &out)
        out.append(contentsOf: #","entry":{"#.utf8)
        var separator = false
        func key(_ name: StaticString) {
            if separator { out.append(UInt8(ascii: ",")) }
            separator = true
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: #"":"#.utf8)
        }
        // Keys in sorted order, as JSONEncoder's .sortedKeys puts them; nil values are left out.
        if let employeeID = entry.employeeID {
            key("employee_id")
            out.append(contentsOf: String(employeeID).utf8)
        }
        if let endTime = entry.endTime {
            key("endtime")
            out.append(contentsOf: String(endTime).utf8)
        }
        key("link")
        JSONText.appendString(entry.link, to: &out)
        if let privacy = entry.privacy {
            key("privacy")
            JSONText.appendString(privacy.rawValue, to: &out)
        }
        key("srctype")
        JSONText.appendString(entry.sourceType.rawValue, to: &out)
        key("summary")
        JSONText.appendString(entry.summary, to: &out)
        key("time")
        out.append(contentsOf: String(entry.time).utf8)
        out.append(contentsOf: "}}".utf8)
    }
}

/// JSON string escaping as Foundation's JSONEncoder does it with `.withoutEscapingSlashes`.
enum JSONText {
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = string
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let digits = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "u00".utf8)
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0x0F)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
