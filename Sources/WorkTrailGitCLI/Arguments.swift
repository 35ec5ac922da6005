/// A command line split into options and operands, checked against what a command accepts.
///
/// Accepted forms: `--flag`, `--option value`, `--option=value`; options may repeat; `--`
/// ends the options.
struct Arguments {
    private(set) var flags: Set<String> = []
    private(set) var values: [String: [String]] = [:]
    private(set) var operands: [String] = []

    /// Parses `arguments` for a command that takes the given flags (no value) and options
    /// (with a value).
    ///
    /// - Throws: `UsageError` for an unknown option or a missing value.
    init(_ arguments: [String], flags allowedFlags: Set<String>, options allowedOptions: Set<String>) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                operands += arguments[index...]
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                operands.append(argument)
                continue
            }
            let (name, inlineValue) = Self.split(argument)
            if allowedFlags.contains(name) {
                guard inlineValue == nil else { throw UsageError("\(name) takes no value") }
                flags.insert(name)
            } else if allowedOptions.contains(name) {
                if let inlineValue {
                    values[name, default: []].append(inlineValue)
                } else if index < arguments.count {
                    values[name, default: []].append(arguments[index])
                    index += 1
                } else {
                    throw UsageError("\(name) needs a value")
                }
            } else {
                throw UsageError("unknown option \(name)")
            }
        }
    }

    private static func split(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func all(_ option: String) -> [String] { values[option] ?? [] }

    /// The last value given for `option`.
    func value(_ option: String) -> String? { values[option]?.last }

    /// The value of `option` as a positive whole number.
    func positiveInteger(_ option: String) throws -> Int? {
        guard let text = value(option) else { return nil }
        guard let number = Int(text), number > 0 else {
            throw UsageError("\(option) takes a whole number above 0, not '\(text)'")
        }
        return number
    }
}

/// A mistake in the command line: shown with a pointer to the usage, exit status 64.
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A setting or precondition that keeps a command from running (missing credentials, say):
/// shown as it is, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Ends the program with a status and no further message (the message was already shown).
struct ExitStatus: Error {
    let code: Int32
}
