import ArgumentParser
import FerryConfig
import FerryCore
import FerryDemo
import Foundation

struct QuickstartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Create a demo SQLite shop database and replicate it into a local Delta lake; no server needed.",
        discussion: """
            The first run creates <dir>/shop.db (customers, products, orders, order_items), writes <dir>/ferry.yaml and \
            replicates every table into the Delta lake <dir>/lake. Each later run adds a few orders and price changes \
            to shop.db first, so you see incremental appends and merges at work.

            Examples:
              ferry quickstart
              ferry quickstart --dir /tmp/demo --json

            \(FerryExit.help(0, 1, 2, 4))
            """
    )

    @Option(name: .long, help: "Where to put the demo files.")
    var dir = "ferry-quickstart"

    @Option(name: .long, help: "Messages on stderr: text, or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Flag(name: .long, help: "Print the run's JSON summary (as ferry run --json) instead of text.")
    var json = false

    static let configText = """
        # Ferry quickstart: replicate a demo shop (SQLite) into a local Delta lake.
        databases:
          source: {type: sqlite, path: ./shop.db}
          target: {type: delta, path: ./lake}
        state: {path: .ferry/state.db}
        tables:
          - {name: customers, sync_mode: full_replace, strategy: simple_copy}
          - {name: products, sync_mode: smart_sync, incremental_column: last_modified, incremental_type: datetime,
             date_buffer_days: 1, fallback_to_full: true}
          - {name: orders, sync_mode: incremental, incremental_column: order_id, incremental_type: identity}
          - {name: order_items, sync_mode: smart_sync, incremental_column: order_id, incremental_type: identity,
             batch_size: 2000}
        settings: {default_batch_size: 5000, workers: 2, max_retries: 3, confirm: false}

        """

    func run() async throws {
        LogSetup.bootstrap(format: logFormat, verbose: false)
        let say: (String) -> Void = { message in if !json { print(message) } }
        let fm = FileManager.default
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let shop = dir + "/shop.db"
        let configPath = dir + "/ferry.yaml"
        do throws(FerryError) {
            if fm.fileExists(atPath: shop) {
                try DemoDatabase(path: shop).addActivity(orders: 25, seed: UInt64(Date().timeIntervalSince1970))
                say("Added 25 orders and 3 price changes to \(shop)")
            } else {
                try DemoDatabase(path: shop).create()
                say("Created the demo shop database \(shop)")
            }
        } catch {
            printError("error: \(error)")
            throw FerryExit.tableFailed
        }
        if !fm.fileExists(atPath: configPath) {
            try Self.configText.write(toFile: configPath, atomically: true, encoding: .utf8)
            say("Wrote \(configPath)")
        }
        let config = try loadConfig(configPath)
        let code = await ReplicationRun(
            config: config, tables: config.tables, dryRun: false, force: true, operation: "quickstart",
            json: json
        ).execute()
        say(
            """

            Next:
              ferry status  --config \(configPath)      # rows on both sides, watermarks, last runs
              ferry history --config \(configPath)      # the audit trail
              ferry quickstart --dir \(dir)             # again: new orders flow incrementally

            Query the lake (python3 -m venv lake-env && . lake-env/bin/activate && pip install deltalake duckdb polars):
              python3 -c "from deltalake import DeltaTable; print(DeltaTable('\(dir)/lake/orders').to_pandas().head())"
              python3 -c "import duckdb; print(duckdb.sql(\\\"SELECT status, count(*), sum(total_amount) FROM delta_scan('\(dir)/lake/orders') GROUP BY 1\\\"))"
              python3 -c "import polars as pl; print(pl.read_delta('\(dir)/lake/customers').head())"
            """)
        if code != FerryExit.success { throw code }
    }
}
