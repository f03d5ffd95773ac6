import ArgumentParser
import FerryConfig
import FerryCore
import Foundation

/// `ferry run`: one replication run of the selected tables.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Replicate every table of the config (or those named with --table).",
        discussion: """
            Each table runs in its own snapshot of the source and commits into the target at once. A failing table \
            does not stop the others; the exit code is then 1.

            Tables with sync_mode cdc run together through one replication slot: the first run loads them from \
            the slot's snapshot, every run then applies the changes committed up to the moment it started and \
            exits. With --follow, changes stream until SIGINT or SIGTERM; the batch in flight is applied first. \
            Naming one cdc table with --table runs every cdc table of the config (they share the slot); a note \
            on stderr says which were added.

            Examples:
              ferry run -c ferry.yaml
              ferry run -c ferry.yaml --table orders --table public.customers
              ferry run -c ferry.yaml --dry-run --json
              ferry run -c ferry.yaml --operation cdc --follow --log-format json
              ferry run -c /etc/ferry.yaml --follow   # systemd: stop sends SIGTERM

            \(FerryExit.help(0, 1, 2, 4))
            """
    )

    enum Operation: String, ExpressibleByArgument, CaseIterable {
        /// Every selected table, refresh and cdc alike (the name is historical).
        case replication
        /// Only the sync_mode cdc tables.
        case cdc
    }

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only this table, as schema.name or its short name (repeatable).")
    var table: [String] = []

    @Flag(name: .long, help: "Print each table's plan (mode, queries, expected rows) and change nothing.")
    var dryRun = false

    @Flag(
        name: .long,
        help: """
            Replace non-empty targets without asking; PostgreSQL -> PostgreSQL, also apply schema changes that may \
            lose data (a narrowed type, a dropped column holding values; --dry-run lists them).
            """)
    var force = false

    @Option(
        name: .long,
        help: "replication: every selected table (refresh and cdc); cdc: only the sync_mode cdc tables.")
    var operation: Operation = .replication

    @Flag(name: .long, help: "Keep streaming changes of the cdc tables until SIGINT/SIGTERM.")
    var follow = false

    @Flag(name: .long, help: "Print a JSON summary of the run (or of the plans, with --dry-run) on stdout.")
    var json = false

    func run() async throws {
        let config = try options.load()
        var tables = try selectTables(config, names: table)
        if operation == .cdc { tables = tables.filter { $0.syncMode == .cdc } }
        tables = widenToSlot(tables, config: config)
        if follow && !tables.contains(where: { $0.syncMode == .cdc }) {
            printError("error: --follow streams sync_mode cdc tables, and none is selected in \(config.path)")
            throw FerryExit.usage
        }
        let code = await ReplicationRun(
            config: config, tables: tables, dryRun: dryRun || config.settings.dryRun,
            force: force || !config.settings.confirm, forceSchemaChanges: force, follow: follow,
            operation: operation.rawValue, json: json
        ).execute()
        if code != FerryExit.success { throw code }
    }

    /// Adds the config's other cdc tables when one is selected, saying so: they share one slot, and streaming a
    /// subset would confirm changes the others never got.
    func widenToSlot(_ tables: [TableSpec], config: PipelineConfig) -> [TableSpec] {
        let selected = tables.filter { $0.syncMode == .cdc }
        guard !selected.isEmpty else { return tables }
        let all = config.tables.filter { $0.syncMode == .cdc }
        let added = all.filter { spec in !selected.contains { $0.name == spec.name } }
        if !table.isEmpty, !added.isEmpty {
            printError(
                "note: --table \(selected.map(\.name.description).joined(separator: ", ")) is a cdc table; the run "
                    + "also covers \(added.map(\.name.description).joined(separator: ", ")), which share replication "
                    + "slot \(config.cdc.slotName) in \(config.path)")
        }
        return tables.filter { $0.syncMode != .cdc } + all
    }
}
