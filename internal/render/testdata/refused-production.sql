-- ctxschema plan, dialect sqlite
-- Refused (production): the database is in production mode, which refuses every schema change; switch it with `ctxschema mode maintenance` first
CREATE TABLE "profile" (
  "customer_id" TEXT NOT NULL PRIMARY KEY CHECK (length("customer_id") <= 16),
  "firstname" TEXT CHECK (length("firstname") <= 64),
  "lastname" TEXT CHECK (length("lastname") <= 64),
  "emailaddress" TEXT NOT NULL CHECK (length("emailaddress") <= 256)
);
CREATE TABLE "ext_phone" (
  "record_id" INTEGER PRIMARY KEY,
  "customer_id" TEXT NOT NULL REFERENCES "profile" ("customer_id") ON DELETE CASCADE,
  "phonetype" INTEGER NOT NULL DEFAULT 0,
  "prefix" TEXT DEFAULT '555' CHECK (length("prefix") <= 3),
  "phonenumber" TEXT NOT NULL CHECK (length("phonenumber") <= 15),
  "start_availability" TEXT
);
CREATE UNIQUE INDEX "ux_phone_af659dae" ON "ext_phone" ("customer_id", "phonenumber");
CREATE UNIQUE INDEX "ik_idemail" ON "profile" ("emailaddress");
CREATE INDEX "ik_idphone" ON "ext_phone" ("phonenumber");
