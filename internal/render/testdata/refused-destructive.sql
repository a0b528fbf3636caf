-- ctxschema plan, dialect postgres
-- Refused (destructive): 1 change loses data (allowed by --allow-destructive)
DROP TABLE "ext_fax";
ALTER TABLE "profile" DROP COLUMN "middlename";
ALTER TABLE "ext_phone" ADD COLUMN "label" varchar(32) DEFAULT 'home|work';
