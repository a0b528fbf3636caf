-- ctxschema plan, dialect postgres
-- Refused (data check): 2 changes cannot succeed on the data in the database; fix the data or the schema files and plan again
ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(32) DEFAULT 'home|work';
ALTER TABLE "profile" ALTER COLUMN "lastname" SET NOT NULL;
DROP INDEX "ik_idphone";
-- after the transaction commits (online index builds):
CREATE UNIQUE INDEX CONCURRENTLY "ik_idphone" ON "ext_phone" ("prefix", "phonenumber");
