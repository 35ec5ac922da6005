import Foundation

extension StandInHub {
    /// A JSON document as a Sendable value, with the exact type of every number kept.
    ///
    /// Integers and floating-point numbers stay apart (`1` is `.int`, `1.5` and `1.0` are `.double`) and booleans
    /// never pass for numbers, so validation can refuse what a strict server would refuse.
    public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        /// Parses JSON text; any value may stand at the top, not only an object or an array.
        public static func parse(_ data: Data) throws -> JSONValue {
            try JSONParser.parse(data)
        }

        /// Parses JSON text given as a string.
        public static func parse(_ text: String) throws -> JSONValue {
            try parse(Data(text.utf8))
        }

        /// The member `key` of an object, or nil for a missing member or a value that is not an object.
        public subscript(key: String) -> JSONValue? {
            if case .object(let members) = self { return members[key] }
            return nil
        }

        /// The element at `index` of an array, or nil when out of range or not an array.
        public subscript(index: Int) -> JSONValue? {
            if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
            return nil
        }

        /// The string, if this is a string.
        public var stringValue: String? {
            if case .string(let value) = self { return value }
            return nil
        }

        /// The integer, if this is an integer (not a double, not a boolean).
        public var intValue: Int? {
            if case .int(let value) = self { return value }
            return nil
        }

        /// The number as a double, if this is an integer or a double.
        public var doubleValue: Double? {
            switch self {
            case .int(let value): return Double(value)
            case .double(let value): return value
            default: return nil
            }
        }

        /// The boolean, if this is a boolean.
        public var boolValue: Bool? {
            if case .bool(let value) = self { return value }
            return nil
        }

        /// The elements, if this is an array.
        public var arrayValue: [JSONValue]? {
            if case .array(let value) = self { return value }
            return nil
        }

        /// The members, if this is an object.
        public var objectValue: [String: JSONValue]? {
            if case .object(let value) = self { return value }
            return nil
        }

        /// True for `.null`.
        public var isNull: Bool {
            if case .null = self { return true }
            return false
        }

        /// Compact JSON text with object keys sorted, so answers are byte-for-byte deterministic.
        public var jsonText: String {
            var output = ""
            write(to: &output)
            return output
        }

        /// Compact JSON text as UTF-8 bytes.
        public var jsonData: Data { Data(jsonText.utf8) }

        public var description: String { jsonText }

        private func write(to output: inout String) {
            switch self {
            case .null:
                output += "null"
            case .bool(let value):
                output += value ? "true" : "false"
            case .int(let value):
                output += String(value)
            case .double(let value):
                // JSON has no NaN or infinity; writing null keeps the document valid.
                output += value.isFinite ? "\(value)" : "null"
            case .string(let value):
                JSONValue.writeString(value, to: &output)
            case .array(let elements):
                output += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { output += "," }
                    element.write(to: &output)
                }
                output += "]"
            case .object(let members):
                output += "{"
                for (index, key) in members.keys.sorted().enumerated() {
                    if index > 0 { output += "," }
                    JSONValue.writeString(key, to: &output)
                    output += ":"
                    members[key]?.write(to: &output)
                }
                output += "}"
            }
        }

        private static func writeString(_ value: String, to output: inout String) {
            output += "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        output.unicodeScalars.append(scalar)
                    }
                }
            }
            output += "\""
        }
    }
}

extension StandInHub.JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: StandInHub.JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    public init(dictionaryLiteral elements: (String, StandInHub.JSONValue)...) {
        var members: [String: StandInHub.JSONValue] = [:]
        for (key, value) in elements { members[key] = value }
        self = .object(members)
    }
}
