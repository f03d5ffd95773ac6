import FerryConfig
import FerryCore
import Foundation
import Testing

@Suite struct ConfigLoaderTests {
    let env = ["SOURCE_DB_USER": "reader", "SOURCE_DB_PASSWORD": "s3cret", "TARGET_DB_USER": "writer"]

    func parse(_ text: String, env: [String: String]? = nil) throws(ConfigError) -> PipelineConfig {
        try ConfigLoader(environment: env ?? self.env).parse(text, path: "conf/ferry.yaml")
    }

    func failure(_ text: String, env: [String: String]? = nil) -> ConfigError? {
        do {
            _ = try parse(text, env: env)
            return nil
        } catch {
            return error
        }
    }

    static let seedConfig = """
        databases:
          source: {type: postgres, host: localhost, port: 5432, database: prod}
          target: {type: sqlite, path: ./uat.db}
        state: {path: .ferry/state.db}
        tables:
          - {name: users, sync_mode: full_replace, strategy: simple_copy, truncate_target: true}
          - {name: orders, sync_mode: incremental, incremental_column: order_id, incremental_type: identity}
          - {name: daily_reports, sync_mode: incremental, incremental_column: report_date, incremental_type: date,
             date_buffer_days: 7, strategy: staging_swap, batch_size: 10000}
          - {name: public.product_catalog, sync_mode: smart_sync, incremental_column: last_modified,
             incremental_type: datetime, fallback_to_full: true}
        settings: {default_batch_size: 5000, connection_timeout: 30, command_timeout: 300, max_retries: 3, workers: 2,
                   dry_run: false, verbose_logging: false}
        """

    @Test func readsTheSeedConfigWithCredentialsFromTheEnvironment() throws {
        let config = try parse(Self.seedConfig)
        guard case .postgres(let pg) = config.source else {
            Issue.record("source is not postgres")
            return
        }
        #expect(pg.user == "reader")
        #expect(pg.password == "s3cret")
        #expect(pg.database == "prod")
        #expect(config.target == .sqlite(path: "conf/uat.db"))
        #expect(config.statePath == "conf/.ferry/state.db")
        #expect(config.tables.count == 4)
        #expect(config.tables[1].incrementalType == .identity)
        #expect(config.tables[2].dateBufferDays == 7)
        #expect(config.tables[2].strategy == .stagingSwap)
        #expect(config.tables[2].batchSize == 10000)
        #expect(config.tables[0].batchSize == 5000)
        #expect(config.tables[3].name == TableName(schema: "public", name: "product_catalog"))
        #expect(config.tables[3].fallbackToFull)
    }

    @Test func deltaTargetsUseDeletionVectorsUnlessTurnedOff() throws {
        func target(_ extra: String) throws -> DatabaseConfig {
            try parse(
                """
                databases:
                  source: {type: sqlite, path: ./prod.db}
                  target: {type: delta, path: ./lake\(extra)}
                tables: [{name: users, sync_mode: full_replace}]
                """
            ).target
        }
        #expect(try target("") == .delta(path: "conf/lake", compression: .zstd, deletionVectors: true))
        #expect(
            try target(", deletion_vectors: false")
                == .delta(path: "conf/lake", compression: .zstd, deletionVectors: false))
        let wrongType = failure(
            """
            databases:
              source: {type: sqlite, path: ./prod.db}
              target: {type: delta, path: ./lake, deletion_vectors: sometimes}
            tables: [{name: users, sync_mode: full_replace}]
            """)
        #expect(wrongType?.description.contains("deletion_vectors") == true)
        let onPostgres = failure(
            """
            databases:
              source: {type: sqlite, path: ./prod.db}
              target: {type: postgres, database: uat, deletion_vectors: true}
            tables: [{name: users, sync_mode: full_replace}]
            """)
        #expect(onPostgres?.description.contains("applies to a delta target") == true)
    }

    @Test func cdcBatchesAreBoundedByCountTimeAndMemory() throws {
        let text = """
            databases:
              source: {type: postgres, host: h, database: d,
                       cdc: {batch_max_rows: 5000, batch_max_seconds: 0.5, batch_max_memory: 32MB}}
              target: {type: delta, path: ./lake}
            tables:
              - {name: t, sync_mode: cdc}
            """
        let cdc = try parse(text).cdc
        #expect(cdc.batchMaxRows == 5000 && cdc.batchMaxSeconds == 0.5 && cdc.batchMaxBytes == 32 << 20)
        #expect(CDCSettings().batchMaxBytes == 96 << 20)
        let small = failure(text.replacingOccurrences(of: "32MB", with: "100KB"))
        #expect(small?.description.contains("batch_max_memory must be a size from 1MB to 16GB") == true)
    }

    @Test func unknownKeyNamesTheKeyItsLineAndTheClosestValidKey() {
        let error = failure(
            Self.seedConfig.replacingOccurrences(of: "sync_mode: full_replace", with: "sync_mod: full_replace"))
        #expect(error?.line == 6)
        #expect(error?.description.contains("conf/ferry.yaml:6:") == true)
        #expect(error?.message.contains("unknown key 'sync_mod'") == true)
        #expect(error?.message.contains("did you mean 'sync_mode'") == true)
    }

    @Test func passwordWrittenInTheFileIsRefused() {
        let error = failure(
            Self.seedConfig.replacingOccurrences(of: "database: prod}", with: "database: prod, password: hunter2}"))
        #expect(error?.line == 2)
        #expect(error?.message.contains("SOURCE_DB_PASSWORD") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func missingCredentialVariableIsNamed() {
        let error = failure(Self.seedConfig, env: ["TARGET_DB_USER": "x"])
        #expect(error?.message.contains("SOURCE_DB_USER is not set") == true)
    }

    @Test func credentialVariableNamesCanBeOverridden() throws {
        let text = Self.seedConfig.replacingOccurrences(
            of: "database: prod}", with: "database: prod, user_env: PROD_USER}")
        let config = try parse(text, env: ["PROD_USER": "alice"])
        guard case .postgres(let pg) = config.source else {
            Issue.record("source is not postgres: \(config.source)")
            return
        }
        #expect(pg.user == "alice")
    }

    @Test func malformedYAMLReportsLineAndColumn() {
        let error = failure("databases:\n  source: {type: sqlite, path: a.db\ntables: []\n")
        #expect(error?.line != nil)
        #expect(error?.message.contains("invalid YAML") == true)
    }

    @Test func badEnumValueSuggestsTheClosestChoice() {
        let error = failure(
            Self.seedConfig.replacingOccurrences(of: "incremental_type: identity", with: "incremental_type: identiy"))
        #expect(error?.message.contains("did you mean 'identity'") == true)
        #expect(error?.line == 7)
    }

    @Test func incrementalWithoutColumnIsRejected() {
        let error = failure(Self.seedConfig.replacingOccurrences(of: "incremental_column: order_id, ", with: ""))
        #expect(error?.message.contains("needs incremental_column") == true)
    }

    @Test func tablesListedTwiceAreRejected() {
        let text = Self.seedConfig.replacingOccurrences(of: "name: orders", with: "name: users")
        #expect(failure(text)?.message.contains("listed twice") == true)
    }

    @Test func wrongValueTypeIsLocated() {
        let error = failure(Self.seedConfig.replacingOccurrences(of: "workers: 2", with: "workers: two"))
        #expect(error?.message.contains("settings.workers must be an integer") == true)
        #expect(error?.line == 12)
    }

    @Test func seedStrategyNameIsAccepted() throws {
        let text = Self.seedConfig.replacingOccurrences(
            of: "strategy: staging_swap", with: "strategy: staging_partition_switch")
        #expect(try parse(text).tables[2].strategy == .stagingSwap)
    }
}
