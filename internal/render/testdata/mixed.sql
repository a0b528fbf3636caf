-- ctxschema plan, dialect postgres
DROP INDEX "ik_idfax";
DROP TABLE "ext_fax";
ALTER TABLE "profile" DROP COLUMN "middlename";
ALTER TABLE "ext_contacts" RENAME TO "ext_contact";
ALTER TABLE "profile" RENAME COLUMN "email" TO "emailaddress";
ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(32) DEFAULT 'home|work';
ALTER TABLE "profile" ALTER COLUMN "loyaltypoints" TYPE bigint;
ALTER TABLE "profile" ALTER COLUMN "lastname" SET NOT NULL;
ALTER TABLE "ext_address" DROP COLUMN "record_id";
ALTER TABLE "ext_address" ADD PRIMARY KEY ("customer_id");
DROP INDEX "ik_idphone";
ALTER TABLE "ext_address" ALTER COLUMN "city" TYPE varchar(32);
CREATE INDEX "ik_idcity" ON "ext_address" ("city");
-- after the transaction commits (online index builds):
CREATE UNIQUE INDEX CONCURRENTLY "ux_phone_d0cd0286" ON "ext_phone" ("customer_id", "phonenumber", "phonetype");
CREATE UNIQUE INDEX CONCURRENTLY "ik_idphone" ON "ext_phone" ("prefix", "phonenumber");
CREATE INDEX CONCURRENTLY "ik_idlastname" ON "profile" ("lastname");
