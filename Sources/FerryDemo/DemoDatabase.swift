public import FerryCore
import Foundation
import GRDB

/// A small e-commerce database for the quickstart and demos: customers, products, orders and order items with the
/// awkward parts of real data (NULLs, unicode, decimals, time zones).
///
/// Deterministic for a given seed, so a demo or a test can predict what it gets.
public struct DemoDatabase {
    public var path: String
    public var customers: Int
    public var products: Int
    public var orders: Int
    public var seed: UInt64

    public init(path: String, customers: Int = 500, products: Int = 120, orders: Int = 2000, seed: UInt64 = 42) {
        self.path = path
        self.customers = customers
        self.products = products
        self.orders = orders
        self.seed = seed
    }

    static let schema = """
        CREATE TABLE customers (
            customer_id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            country TEXT,
            city TEXT,
            phone TEXT,
            birth_date DATE,
            loyalty_points INT,
            is_active BOOLEAN NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE products (
            product_id INTEGER PRIMARY KEY,
            sku TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            category TEXT,
            price DECIMAL(10,2) NOT NULL,
            weight_kg DOUBLE,
            description TEXT,
            attributes JSON,
            last_modified TIMESTAMP NOT NULL
        );
        CREATE INDEX products_category ON products (category);
        CREATE TABLE orders (
            order_id INTEGER PRIMARY KEY,
            order_uuid UUID NOT NULL,
            customer_id BIGINT NOT NULL,
            status TEXT NOT NULL,
            order_date DATE NOT NULL,
            ordered_at TIMESTAMPTZ NOT NULL,
            shipped_at TIMESTAMPTZ,
            total_amount DECIMAL(12,2) NOT NULL,
            currency TEXT NOT NULL,
            notes TEXT
        );
        CREATE INDEX orders_customer ON orders (customer_id);
        CREATE TABLE order_items (
            order_id BIGINT NOT NULL,
            line_no INT NOT NULL,
            product_id BIGINT NOT NULL,
            quantity INT NOT NULL,
            unit_price DECIMAL(10,2) NOT NULL,
            discount DECIMAL(5,4),
            PRIMARY KEY (order_id, line_no)
        );
        """

    /// Creates the database (replacing any file at `path`).
    public func create() throws(FerryError) {
        try? FileManager.default.removeItem(atPath: path)
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: Self.schema)
                var rng = SplitMix(seed: seed)
                try insertCustomers(db, &rng)
                let prices = try insertProducts(db, &rng)
                try insertOrders(db, &rng, from: 1, count: orders, prices: prices, baseDay: 19_700)
            }
            try queue.close()
        } catch {
            throw FerryError(
                .io,
                "cannot create the demo database \(path): \(Self.reason(error)); check that the directory is writable",
                underlying: error)
        }
    }

    /// Adds `count` new orders and touches a few products, so an incremental run has something to copy.
    public func addActivity(orders count: Int, seed: UInt64) throws(FerryError) {
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                var rng = SplitMix(seed: seed)
                let next = (try Int.fetchOne(db, sql: "SELECT max(order_id) FROM orders") ?? 0) + 1
                let prices = try Row.fetchAll(db, sql: "SELECT product_id, price FROM products ORDER BY product_id")
                    .map { row -> Int64 in
                        let d: Double = row["price"]
                        return Int64((d * 100).rounded())
                    }
                let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
                try insertOrders(db, &rng, from: next, count: count, prices: prices, baseDay: now / 86_400_000_000 - 30)
                for _ in 0..<3 {
                    let id = rng.int(1...max(1, prices.count))
                    try db.execute(
                        sql:
                            "UPDATE products SET price = round(price * 1.05, 2), last_modified = ? WHERE product_id = ?",
                        arguments: [TimeText.formatTimestamp(micros: now, zoned: false), id])
                }
            }
            try queue.close()
        } catch {
            throw FerryError(
                .io,
                "cannot update the demo database \(path): \(Self.reason(error)); move it aside to start a new demo",
                underlying: error)
        }
    }

    /// SQLite's one-line message for a GRDB error, not the statement and arguments GRDB's description adds.
    static func reason(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    static let firstNames = [
        "Ana", "Björn", "Chloé", "Dmitri", "Eleni", "François", "Grace", "Hiroshi", "Inès", "José",
        "Kwame", "Léa", "Mateo", "Nadia", "Olumide", "Priya", "Quentin", "Rosa", "Søren", "Tomás", "Úrsula", "Wei",
        "Yuki", "Zoë",
        "李", "Мария", "محمد", "Ngozi",
    ]
    static let lastNames = [
        "Silva", "Andersson", "Dubois", "Ivanov", "Papadopoulos", "Müller", "O'Brien", "Tanaka",
        "García", "Mensah", "Rossi", "Nowak", "Kowalski", "Smith", "Øster", "Nguyễn", "王", "Petrović", "Đorđević",
    ]
    static let places = [
        ("PT", "Lisboa"), ("SE", "Göteborg"), ("FR", "Besançon"), ("DE", "München"), ("JP", "東京"),
        ("ES", "A Coruña"), ("GH", "Accra"), ("PL", "Łódź"), ("US", "New York"), ("BR", "São Paulo"), ("GR", "Αθήνα"),
        ("IN", "बेंगलुरु"),
    ]
    static let categories = ["books", "garden", "kitchen", "toys", "électronique", "sport", nil]
    static let words = [
        "ergonomic", "rustic", "handmade", "recycled", "smart", "vintage", "compact", "deluxe", "☕", "🚲",
    ]
    static let statuses = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"]

    func insertCustomers(_ db: Database, _ rng: inout SplitMix) throws {
        let stmt = try db.makeStatement(sql: "INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        for id in 1...customers {
            let first = rng.pick(Self.firstNames)
            let last = rng.pick(Self.lastNames)
            let place = rng.pick(Self.places)
            let created = Int64(1_600_000_000 + rng.int(0...120_000_000)) * 1_000_000 + Int64(rng.int(0...999_999))
            let updated = created + Int64(rng.int(0...20_000_000)) * 1_000_000
            try stmt.execute(arguments: [
                id, "customer\(id)@example.\(place.0.lowercased())", "\(first) \(last)", place.0,
                rng.chance(0.05) ? nil : place.1,
                rng.chance(0.3) ? nil : "+\(rng.int(1...99)) \(rng.int(100_000_000...999_999_999))",
                rng.chance(0.2) ? nil : TimeText.formatDate(days: Int64(rng.int(-15_000...12_000))),
                rng.chance(0.1) ? nil : rng.int(0...50_000), rng.chance(0.85),
                TimeText.formatTimestamp(micros: created, zoned: true),
                TimeText.formatTimestamp(micros: updated, zoned: true),
            ])
        }
    }

    func insertProducts(_ db: Database, _ rng: inout SplitMix) throws -> [Int64] {
        let stmt = try db.makeStatement(sql: "INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?)")
        var prices: [Int64] = []
        for id in 1...products {
            let cents = Int64(rng.int(99...99_999))
            prices.append(cents)
            let name = "\(rng.pick(Self.words)) \(rng.pick(Self.words)) #\(id)"
            let modified = Int64(1_650_000_000 + rng.int(0...60_000_000)) * 1_000_000
            let attributes =
                rng.chance(0.3)
                ? nil : "{\"color\": \"\(rng.pick(["red", "blue", "vert", "黒"]))\", \"size\": \(rng.int(1...5))}"
            try stmt.execute(arguments: [
                id, String(format: "SKU-%05d", id), name, rng.pick(Self.categories),
                DecimalText.format(unscaled: Int128(cents), scale: 2),
                rng.chance(0.1) ? nil : Double(rng.int(1...250_000)) / 1000,
                rng.chance(0.4) ? nil : "A \(rng.pick(Self.words)) product — “quoted”, with a newline\nand tab\t.",
                attributes, TimeText.formatTimestamp(micros: modified, zoned: false),
            ])
        }
        return prices
    }

    func insertOrders(
        _ db: Database, _ rng: inout SplitMix, from first: Int, count: Int, prices: [Int64], baseDay: Int64
    ) throws {
        let order = try db.makeStatement(sql: "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?)")
        let item = try db.makeStatement(sql: "INSERT INTO order_items VALUES (?,?,?,?,?,?)")
        guard count > 0 else { return }
        for id in first..<(first + count) {
            let day = baseDay + Int64((id - first) * 30 / max(1, count))
            let at = day * 86_400_000_000 + Int64(rng.int(0...86_399)) * 1_000_000 + Int64(rng.int(0...999_999))
            var total: Int64 = 0
            let lines = rng.int(1...4)
            for line in 1...lines {
                let product = rng.int(1...max(1, prices.count))
                let qty = rng.int(1...5)
                let price = prices[product - 1]
                let discount: Int64? = rng.chance(0.7) ? nil : Int64(rng.int(0...2500))
                total += price * Int64(qty) * (10_000 - (discount ?? 0)) / 10_000
                try item.execute(arguments: [
                    id, line, product, qty, DecimalText.format(unscaled: Int128(price), scale: 2),
                    discount.map { DecimalText.format(unscaled: Int128($0), scale: 4) },
                ])
            }
            var uuid = (0..<16).map { _ in UInt8(rng.int(0...255)) }
            uuid[6] = uuid[6] & 0x0F | 0x40
            uuid[8] = uuid[8] & 0x3F | 0x80
            let status = rng.pick(Self.statuses)
            let shipped =
                ["shipped", "delivered"].contains(status) ? at + Int64(rng.int(3600...400_000)) * 1_000_000 : nil
            try order.execute(arguments: [
                id, UUIDText.format(uuid), rng.int(1...customers), status, TimeText.formatDate(days: day),
                TimeText.formatTimestamp(micros: at, zoned: true),
                shipped.map { TimeText.formatTimestamp(micros: $0, zoned: true) },
                DecimalText.format(unscaled: Int128(total), scale: 2), rng.pick(["EUR", "USD", "JPY", "BRL"]),
                rng.chance(0.8) ? nil : "Leave at the door 🚪 — merci!",
            ])
        }
    }
}

/// A tiny deterministic random generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func chance(_ p: Double) -> Bool {
        Double(next() % 1_000_000) / 1_000_000 < p
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(0...(items.count - 1))]
    }
}
