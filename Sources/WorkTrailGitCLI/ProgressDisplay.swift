import Foundation
import GitSync

/// Shows how a long delivery advances: a bar redrawn in place on a terminal, a plain line
/// every tenth of the way otherwise (a log file or a pipe).
final class ProgressDisplay: @unchecked Sendable {
    // Called from the sync's own task only; @unchecked because the sync takes an escaping closure.
    private let label: String
    private let console: Console
    private let onTerminal = isatty(2) == 1
    private var lastTenth = -1
    private var drew = false

    init(label: String, console: Console) {
        self.label = label
        self.console = console
    }

    /// Takes one progress report; small deliveries (a single batch) show nothing.
    func show(_ progress: SyncProgress) {
        guard progress.total > 0, progress.total > 500 || drew else { return }
        let fraction = min(1, Double(progress.delivered) / Double(progress.total))
        if onTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = "\r\(label): [\(bar)] \(progress.delivered)/\(progress.total) entries"
            FileHandle.standardError.write(Data(line.utf8))
            drew = true
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            console.error("\(label): \(progress.delivered) of \(progress.total) entries delivered")
        }
    }

    /// Ends the bar's line on a terminal.
    func finish() {
        if drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
