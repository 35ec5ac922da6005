import Foundation
import WorkTrailHub

/// `worktrail-git employees`: the company's employees, from every page of the Hub's list.
struct EmployeesCommand {
    static let usage = """
        usage: worktrail-git employees [--json] [--hub-url URL] [--allow-insecure-http] [--verbose]

        Lists the employees of the company the auth token belongs to: id, name and user name
        (the primary e-mail address), one per line. The id is what worktrail.employeeId takes.

          --json                 print one JSON array of the employees as the Hub lists them
          --hub-url URL          the Hub (default: WORKTRAIL_HUB_URL, or https://worktrail.net)
          --allow-insecure-http  allow plain http to a Hub that is not on this machine
          --verbose              show each retry of a failed request
        """

    let hub: HubSetup
    let json: Bool

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(arguments, flags: HubSetup.flags.union(["--json"]), options: HubSetup.options)
        if let operand = parsed.operands.first { throw UsageError("unexpected argument '\(operand)'") }
        hub = HubSetup(parsed, environment: environment)
        json = parsed.has("--json")
    }

    func run(console: Console) async throws {
        guard let credentials = try hub.credentials() else {
            throw CommandError(
                "employees needs Hub credentials: run 'worktrail-git auth', or set \(HubSetup.appKeyVariable),"
                    + " \(HubSetup.secretVariable) and \(HubSetup.tokenVariable)"
            )
        }
        let url = try hub.baseURL(configured: nil)
        let employees = try await hub.client(baseURL: url, credentials: credentials, console: console).employees()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            console.output(String(decoding: try encoder.encode(employees), as: UTF8.self))
            return
        }
        let rows = employees.map { employee in
            [String(employee.id), Self.name(of: employee), employee.username ?? ""]
        }
        for line in Self.table(header: ["ID", "NAME", "USERNAME"], rows: rows) {
            console.output(line)
        }
    }

    private static func name(of employee: Employee) -> String {
        if let name = employee.name, !name.isEmpty { return name }
        return [employee.firstName, employee.lastName].compactMap { $0 }.joined(separator: " ")
    }

    /// Left-aligned columns two spaces apart, without trailing blanks.
    static func table(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
