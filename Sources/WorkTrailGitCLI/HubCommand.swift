import Foundation
import WorkTrailHub

/// `worktrail-git hub check`: one harmless call that shows whether the Hub URL and the
/// credentials work, and says what is wrong when they do not.
struct HubCommand {
    static let usage = """
        usage: worktrail-git hub check [--hub-url URL] [--allow-insecure-http] [--verbose]

        Asks the Hub for the company the credentials belong to, and says whether the URL is
        a reachable WorkTrail Hub and whether it accepts the credentials. Nothing is changed.
        Exit status 0 when everything works, 1 otherwise.
        """

    let hub: HubSetup

    init(_ arguments: [String], environment: [String: String]) throws {
        let parsed = try Arguments(arguments, flags: HubSetup.flags, options: HubSetup.options)
        guard let subcommand = parsed.operands.first else {
            throw UsageError("hub needs a subcommand: worktrail-git hub check")
        }
        guard subcommand == "check" else { throw UsageError("unknown hub subcommand '\(subcommand)'") }
        if parsed.operands.count > 1 { throw UsageError("unexpected argument '\(parsed.operands[1])'") }
        hub = HubSetup(parsed, environment: environment)
    }

    func run(console: Console) async throws {
        let url = try hub.baseURL(configured: nil)
        let available = try hub.availableCredentials()
        let missing = HubSetup.missing(in: available)
        // Without the app key and secret, the call is still made: the Hub's refusal shows that
        // the URL is right.
        let credentials = available.appKey.flatMap { appKey in
            available.secretAPIKey.map {
                HubCredentials(appKey: appKey, secretAPIKey: $0, authToken: available.authToken)
            }
        }
        let client = try hub.client(baseURL: url, credentials: credentials, console: console)
        let shown = url.absoluteString

        do {
            let company = try await client.company(options: RequestOptions(retry: .never))
            console.output("ok: the Hub at \(shown) accepts the credentials")
            console.output("    company: \(company.name ?? "(no name)") (id \(company.id))")
            return
        } catch {
            console.error(Self.diagnosis(of: error, url: shown, missing: missing))
            throw ExitStatus(code: 1)
        }
    }

    /// What went wrong, and what to do about it: a first line, then indented details.
    static func diagnosis(of error: HubError, url: String, missing: [String]) -> String {
        let hint = "    check --hub-url or \(HubSetup.urlVariable)"
        switch error.final {
        case .cannotConnect(_, let detail):
            return "cannot reach the Hub at \(url)\n    \(detail)\n\(hint), and the network"
        case .timedOut(let seconds):
            return "the Hub at \(url) did not answer within \(Int(seconds)) seconds\n\(hint), and the network"
        case .connectionLost(let detail):
            return "the Hub at \(url) closed the connection without answering\n    \(detail)\n\(hint)"
        case .httpStatus(404, _), .api(_, _, _, 404), .malformedResponse:
            return "\(url) does not look like a WorkTrail Hub\n    \(error.final)\n\(hint)"
        case _ where error.isAuthorizationFailure && !missing.isEmpty:
            return "the Hub at \(url) answers, but credentials are missing: \(missing.joined(separator: ", "))\n"
                + "    run 'worktrail-git auth', or set them in the environment"
        case _ where error.isAuthorizationFailure:
            return "the Hub at \(url) refused the credentials\n    \(error.final)\n"
                + "    check \(HubSetup.appKeyVariable), \(HubSetup.secretVariable) and \(HubSetup.tokenVariable)"
                + " or the credentials file, or run 'worktrail-git auth' for a new token"
        default:
            return "the Hub at \(url) failed the check\n    \(error)"
        }
    }
}
