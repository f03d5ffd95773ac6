import FerryCore
import FerryEngine
import Foundation

/// A live progress line on stderr when it is a terminal: rows, rows/s and ETA of each running table.
final class TerminalProgress: ProgressObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var active: [String: (rows: Int64, expected: Int64, started: Date)] = [:]
    private var lastDraw = Date.distantPast
    let interactive: Bool
    let quiet: Bool

    /// No progress line with `--log-format json`: stderr then carries only JSON lines, terminal or not.
    init(quiet: Bool = false) {
        interactive = isatty(2) != 0 && LogSetup.format == .text
        self.quiet = quiet
    }

    func started(table: String, plan: TablePlan) {
        lock.withLock { active[table] = (0, plan.expectedRows, Date()) }
    }

    func progress(table: String, rows: Int64, bytes: Int64) {
        lock.withLock {
            active[table]?.rows = rows
            if interactive && Date().timeIntervalSince(lastDraw) > 0.2 { draw() }
        }
    }

    func finished(_ outcome: TableOutcome) {
        lock.withLock {
            active[outcome.table] = nil
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            if !quiet && interactive {
                let line: String
                switch outcome.status {
                case .succeeded:
                    line =
                        "  ✓ \(outcome.table): \(outcome.rowsWritten) rows, \(outcome.modeChosen), \(Format.seconds(outcome.duration))"
                case .failed:
                    line = "  ✗ \(outcome.table): \(outcome.error?.message ?? "failed")"
                case .planned:
                    line = ""
                }
                if !line.isEmpty { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            if interactive { draw() }
        }
    }

    private func draw() {
        lastDraw = Date()
        let parts = active.sorted { $0.key < $1.key }.map { table, s -> String in
            let elapsed = max(0.001, Date().timeIntervalSince(s.started))
            let rate = Double(s.rows) / elapsed
            var part = "\(table) \(s.rows)/\(s.expected) rows \(Int(rate)) rows/s"
            if rate > 0, s.expected > s.rows { part += " ETA \(Format.seconds(Double(s.expected - s.rows) / rate))" }
            return part
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + parts.joined(separator: " | ")).utf8))
    }
}

/// Asks on the terminal before a destructive replace; refuses when there is no terminal.
final class TerminalConfirmation: ReplaceConfirmation, @unchecked Sendable {
    private let lock = NSLock()

    func confirmReplace(table: String, targetRows: Int64) -> Bool {
        guard isatty(0) != 0 && isatty(2) != 0 else { return false }
        return lock.withLock {
            FileHandle.standardError.write(
                Data(
                    "\r\u{1B}[Kfull_replace will replace all \(targetRows) rows of \(table) in the target. Continue? [y/N] "
                        .utf8))
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return answer == "y" || answer == "yes"
        }
    }
}

enum Format {
    /// `512 B`, `1.5 MiB`, `2.0 GiB`.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func seconds(_ s: Double) -> String {
        if s < 1 { return String(format: "%.0f ms", s * 1000) }
        if s < 90 { return String(format: "%.1f s", s) }
        return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }

    /// A plain text table with a header row.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map { $0.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
            .joined(separator: "\n")
    }
}
