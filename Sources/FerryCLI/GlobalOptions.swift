import ArgumentParser
import FerryConfig

/// Options every config-driven command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "Messages on stderr: text, or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    /// Loads the config (exit 2 on a bad one) with stderr in `--log-format` from the first message on, then sets up
    /// logging at the config's level; every config command starts here, so none ignores `--log-format`.
    func load() throws -> PipelineConfig {
        LogSetup.use(logFormat)
        let loaded = try loadConfig(config)
        LogSetup.bootstrap(format: logFormat, verbose: loaded.settings.verboseLogging)
        return loaded
    }
}
