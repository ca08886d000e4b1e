-- Read models of stock and orders, updated in the same transaction as their events.

-- One row per SKU (created with the product). ``version`` is the SKU's stock stream version;
-- placing an order locks these rows FOR UPDATE, in SKU order, to check availability.
CREATE TABLE IF NOT EXISTS stock (
    sku      text PRIMARY KEY,
    on_hand  integer NOT NULL DEFAULT 0,
    reserved integer NOT NULL DEFAULT 0,
    version  integer NOT NULL DEFAULT 0,
    -- Last line of defence against overselling: the domain already refuses these.
    CONSTRAINT stock_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand)
);
INSERT INTO stock (sku) SELECT sku FROM products ON CONFLICT (sku) DO NOTHING;

CREATE TABLE IF NOT EXISTS orders (
    order_id                text PRIMARY KEY,
    customer_id             text NOT NULL,
    channel                 text,          -- null for a rejected order (OrderRejected carries none)
    sales_rep_id            text,
    currency                char(3),
    status                  text NOT NULL,
    backorder_policy        text,
    placed_at               timestamptz NOT NULL,
    requested_delivery_date date,
    version                 integer NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_newest_first ON orders (placed_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id, placed_at DESC, order_id DESC);

-- Where each line's units are: quantity = reserved + backordered + shipped + cancelled.
CREATE TABLE IF NOT EXISTS order_lines (
    order_id         text NOT NULL REFERENCES orders (order_id),
    line_no          integer NOT NULL,
    sku              text NOT NULL,
    quantity         integer NOT NULL,
    unit_price       numeric(18, 6) NOT NULL,
    discount_percent numeric(7, 4) NOT NULL,
    vat_rate         numeric(6, 4) NOT NULL,
    reserved         integer NOT NULL,
    backordered      integer NOT NULL,
    shipped          integer NOT NULL,
    cancelled        integer NOT NULL,
    reshipped        integer NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX IF NOT EXISTS order_lines_by_sku ON order_lines (sku);

-- Shipment ids are unique across orders: billing invoices per shipment.
CREATE TABLE IF NOT EXISTS shipments (
    shipment_id     text PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (order_id),
    carrier         text NOT NULL,
    tracking_number text,
    shipped_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    replacement_for text
);
CREATE INDEX IF NOT EXISTS shipments_by_order ON shipments (order_id);

-- Lines waiting for stock, filled oldest order first when stock becomes available.
CREATE TABLE IF NOT EXISTS backorders (
    order_id  text NOT NULL,
    line_no   integer NOT NULL,
    sku       text NOT NULL,
    quantity  integer NOT NULL CHECK (quantity > 0),
    placed_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX IF NOT EXISTS backorders_queue ON backorders (sku, placed_at, order_id, line_no);
