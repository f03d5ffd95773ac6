import FerryConfig
import FerryCore
import Foundation
import Testing

/// Values `validate` used to accept that only failed (or crashed) at run time, and messages that were not one line.
@Suite struct ConfigRangeTests {
    static let env = ["SOURCE_DB_USER": "reader", "TARGET_DB_USER": "writer"]

    static let sqliteToDelta = """
        databases:
          source: {type: sqlite, path: ./shop.db}
          target: {type: delta, path: ./lake}
        tables:
          - {name: events, sync_mode: incremental, incremental_column: at, incremental_type: datetime,
             date_buffer_days: 7}
        settings: {default_batch_size: 5000, connection_timeout: 30, command_timeout: 300, workers: 2}
        """

    static let postgresToPostgres = """
        databases:
          source: {type: postgres, host: db.internal, port: 5432, database: prod,
                   cdc: {batch_max_rows: 5000, batch_max_seconds: 0.5, batch_max_memory: 32MB}}
          target: {type: postgres, host: uat.internal, database: uat}
        tables:
          - {name: public.orders, sync_mode: cdc}
        """

    func failure(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigLoader(environment: Self.env).parse(text, path: "conf/ferry.yaml")
            return nil
        } catch {
            return error
        }
    }

    func failure(bytes: [UInt8]) -> ConfigError? {
        do {
            _ = try ConfigLoader(environment: Self.env).parse(data: Data(bytes), path: "conf/ferry.yaml")
            return nil
        } catch {
            return error
        }
    }

    /// One line, short, located: what every rejection must be.
    func expectOneLocatedLine(_ error: ConfigError?, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else {
            Issue.record("the config was accepted", sourceLocation: sourceLocation)
            return
        }
        #expect(!error.message.contains { $0.isNewline }, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.count < 400, "\(error.description.prefix(500))", sourceLocation: sourceLocation)
        #expect(error.line != nil && error.column != nil, "\(error)", sourceLocation: sourceLocation)
    }

    @Test func dateBufferDaysBeyondAHundredYearsIsRefusedWithItsRange() {
        let error = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "date_buffer_days: 7", with: "date_buffer_days: 2147483648"))
        expectOneLocatedLine(error)
        #expect(error?.line == 6)
        #expect(
            error?.message
                == "tables[0] ('events').date_buffer_days must be an integer from 0 to 36500, got 2147483648")
    }

    @Test func timeoutsThatOverflowAtRunTimeAreRefused() {
        let connection = failure(
            Self.sqliteToDelta.replacingOccurrences(
                of: "connection_timeout: 30", with: "connection_timeout: 9223372036854775807"))
        expectOneLocatedLine(connection)
        #expect(connection?.message.contains("settings.connection_timeout must be an integer from 1 to 86400") == true)
        let command = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "command_timeout: 300", with: "command_timeout: 2147483648"))
        expectOneLocatedLine(command)
        #expect(command?.message.contains("settings.command_timeout must be an integer from 0 to 604800") == true)
        let tooBig = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "workers: 2", with: "workers: 99999999999999999999999"))
        expectOneLocatedLine(tooBig)
        #expect(tooBig?.message.contains("settings.workers must be an integer from 1 to 256, got '9999") == true)
    }

    @Test func yamlNullIsNotTheHostTilde() {
        let error = failure(Self.postgresToPostgres.replacingOccurrences(of: "host: db.internal", with: "host: ~"))
        expectOneLocatedLine(error)
        #expect(error?.message.contains("databases.source.host must be a non-empty string, got null") == true)
        let empty = failure(Self.sqliteToDelta.replacingOccurrences(of: "path: ./lake", with: "path: "))
        expectOneLocatedLine(empty)
        #expect(empty?.message.contains("databases.target.path must be a non-empty string, got nothing") == true)
    }

    @Test func aMillionCharacterDatabaseNameIsRefusedAndEchoedShort() {
        let long = String(repeating: "x", count: 1_000_000)
        let error = failure(
            Self.postgresToPostgres.replacingOccurrences(of: "database: prod", with: "database: \(long)"))
        expectOneLocatedLine(error)
        #expect(error?.message.contains("databases.source.database must be at most 63 bytes, got 1000000") == true)
        #expect(error?.message.contains("… (1000000 characters)") == true)
    }

    @Test func aLongUnknownKeyIsEchoedShortWithTheValidKeys() {
        let key = String(repeating: "k", count: 1000)  // libyaml allows implicit keys up to 1024
        let error = failure(Self.sqliteToDelta.replacingOccurrences(of: "workers: 2", with: "\(key): 2"))
        expectOneLocatedLine(error)
        #expect(error?.message.contains("unknown key 'kkkk") == true)
        #expect(error?.message.contains("valid keys: default_batch_size") == true)
    }

    @Test func portsSizesAndSecondsAreCheckedAgainstTheirRanges() {
        let port = failure(Self.postgresToPostgres.replacingOccurrences(of: "port: 5432", with: "port: 65536"))
        expectOneLocatedLine(port)
        #expect(port?.message.contains("port must be an integer from 1 to 65535, got 65536") == true)
        let seconds = failure(Self.postgresToPostgres.replacingOccurrences(of: "0.5", with: ".inf"))
        expectOneLocatedLine(seconds)
        #expect(seconds?.message.contains("batch_max_seconds must be a number of seconds from 0.001 to 3600.0") == true)
        for size in ["99999999999TB", "1e300MB", "-5MB", "[32MB]"] {
            let memory = failure(Self.postgresToPostgres.replacingOccurrences(of: "32MB", with: size))
            expectOneLocatedLine(memory)
            #expect(memory?.message.contains("batch_max_memory must be a size from 1MB to 16GB") == true, "\(size)")
        }
        let ssl = failure(
            Self.postgresToPostgres.replacingOccurrences(of: "database: uat}", with: "database: uat, sslmode: requir}"))
        expectOneLocatedLine(ssl)
        #expect(ssl?.message.contains("did you mean 'require'") == true)
    }

    @Test func valuesOfTheWrongTypeAreNamedByKind() {
        let list = failure(Self.sqliteToDelta.replacingOccurrences(of: "workers: 2", with: "workers: [1, 2]"))
        expectOneLocatedLine(list)
        #expect(list?.message == "settings.workers must be an integer from 1 to 256, got a list")
        let map = failure(Self.sqliteToDelta.replacingOccurrences(of: "path: ./lake", with: "path: {a: 1}"))
        expectOneLocatedLine(map)
        #expect(map?.message == "databases.target.path must be a string, got a mapping")
        let noKey = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "incremental_column: at,", with: "primary_key: [],"))
        expectOneLocatedLine(noKey)
        #expect(noKey?.message.contains("primary_key must name at least one column") == true)
    }

    @Test func aDatabaseWithoutATypeListsEveryType() {
        let error = failure(Self.sqliteToDelta.replacingOccurrences(of: "type: delta, ", with: ""))
        expectOneLocatedLine(error)
        #expect(error?.message == "databases.target needs a type: postgres, sqlite, delta")
    }

    @Test func bytesThatAreNotUTF8AreLocatedByByteLineAndColumn() {
        var bytes = Array(Self.sqliteToDelta.utf8)
        let offset = bytes.firstIndex(of: UInt8(ascii: "."))!  // in line 2, "./shop.db"
        bytes.insert(0xFF, at: offset)
        let error = failure(bytes: bytes)
        expectOneLocatedLine(error)
        #expect(error?.line == 2)
        #expect(error?.column == 32)
        #expect(error?.message.contains("not valid UTF-8: byte \(offset) (0xFF)") == true)
    }

    @Test func controlCharactersGiveOneLineWithTheirPlace() {
        let text = Self.sqliteToDelta.replacingOccurrences(of: "./lake", with: "./la\u{1}ke")
        let error = failure(text)
        expectOneLocatedLine(error)
        #expect(error?.line == 3)
        #expect(error?.message.contains("U+0001") == true)
        #expect(error?.message.contains("byte ") == true)
        let quoted = failure(Self.sqliteToDelta.replacingOccurrences(of: "./lake", with: "\"./la\\u0001ke\""))
        expectOneLocatedLine(quoted)
        #expect(quoted?.message.contains("must not contain control characters, got './la\\u{1}ke'") == true)
    }

    @Test func scannerErrorsAreOneLineWithTheirPlace() {
        let error = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "date_buffer_days: 7}", with: "date_buffer_days: 7"))
        expectOneLocatedLine(error)
        #expect(error?.message.hasPrefix("invalid YAML: ") == true)
        let duplicate = failure(
            Self.sqliteToDelta.replacingOccurrences(of: "workers: 2", with: "workers: 2, workers: 3"))
        expectOneLocatedLine(duplicate)
        #expect(duplicate?.message.contains("duplicate key 'workers'") == true)
    }
}
