import ArgumentParser

/// `ferry version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print Ferry's version.",
        discussion: """
            Examples:
              ferry version
              ferry version --json

            \(FerryExit.help(0))
            """)

    @Flag(name: .long, help: "Print {\"version\": …} instead of text.")
    var json = false

    struct Report: Encodable {
        var version: String
    }

    func run() {
        if json {
            JSONOutput.print(Report(version: Ferry.version))
        } else {
            print("ferry \(Ferry.version)")
        }
    }
}
