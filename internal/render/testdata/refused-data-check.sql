-- ctxschema plan, dialect postgres
-- Refused (data check): the data in the database does not allow these changes; fix the offending records, then plan again
ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(32) DEFAULT 'home|work';
ALTER TABLE "profile" ALTER COLUMN "lastname" SET NOT NULL;
DROP INDEX "ik_idphone";
-- after the transaction commits (online index builds):
CREATE UNIQUE INDEX CONCURRENTLY "ik_idphone" ON "ext_phone" ("prefix", "phonenumber");
