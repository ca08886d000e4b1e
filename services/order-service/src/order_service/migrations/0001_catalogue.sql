-- Read model of the catalogue, updated in the same transaction as the product's events.
CREATE TABLE IF NOT EXISTS products (
    sku        text PRIMARY KEY,
    name       text NOT NULL,
    unit_price numeric(18, 6) NOT NULL,
    currency   char(3) NOT NULL,
    vat_rate   numeric(6, 4) NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    version    integer NOT NULL
);
