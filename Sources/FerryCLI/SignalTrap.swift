import FerryCore
import FerryEngine
import Foundation

/// Turns SIGINT and SIGTERM into a stop request, so `--follow` finishes its batch and exits cleanly.
final class SignalTrap: @unchecked Sendable {
    // Set once in init; DispatchSource is thread-safe.
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                printError("note: stopping after the batch in flight")
                stop.stop()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
