-- Run once by the postgres image on an empty data directory (as POSTGRES_USER, in database
-- "postgres"): one database per service. The services would create them on first start too;
-- creating them here keeps that privilege out of the normal start path.
CREATE DATABASE backoffice_order;
CREATE DATABASE backoffice_billing;
CREATE DATABASE backoffice_ledger;
CREATE DATABASE backoffice_support;
