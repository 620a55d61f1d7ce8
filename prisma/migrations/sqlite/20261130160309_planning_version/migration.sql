-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Space" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'Europe/Paris',
    "currency" TEXT NOT NULL DEFAULT 'EUR',
    "vatRateBps" INTEGER NOT NULL DEFAULT 2000,
    "bookingWindowDays" INTEGER NOT NULL DEFAULT 30,
    "checkInMinutes" INTEGER NOT NULL DEFAULT 10,
    "noShowGraceMinutes" INTEGER NOT NULL DEFAULT 15,
    "requireCredit" BOOLEAN NOT NULL DEFAULT false,
    "minCreditCents" INTEGER NOT NULL DEFAULT 0,
    "settings" JSONB,
    "legalName" TEXT,
    "legalAddress" TEXT,
    "siret" TEXT,
    "vatNumber" TEXT,
    "invoicePrefix" TEXT NOT NULL DEFAULT 'FAB',
    "invoiceSeq" INTEGER NOT NULL DEFAULT 0,
    "planningVersion" INTEGER NOT NULL DEFAULT 0,
    "accountingJournal" TEXT NOT NULL DEFAULT 'VE',
    "accountCustomers" TEXT NOT NULL DEFAULT '411000',
    "accountSales" TEXT NOT NULL DEFAULT '706000',
    "accountVat" TEXT NOT NULL DEFAULT '445710',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Space" ("accountCustomers", "accountSales", "accountVat", "accountingJournal", "bookingWindowDays", "checkInMinutes", "createdAt", "currency", "id", "invoicePrefix", "invoiceSeq", "legalAddress", "legalName", "minCreditCents", "name", "noShowGraceMinutes", "requireCredit", "settings", "siret", "slug", "timeZone", "vatNumber", "vatRateBps") SELECT "accountCustomers", "accountSales", "accountVat", "accountingJournal", "bookingWindowDays", "checkInMinutes", "createdAt", "currency", "id", "invoicePrefix", "invoiceSeq", "legalAddress", "legalName", "minCreditCents", "name", "noShowGraceMinutes", "requireCredit", "settings", "siret", "slug", "timeZone", "vatNumber", "vatRateBps" FROM "Space";
DROP TABLE "Space";
ALTER TABLE "new_Space" RENAME TO "Space";
CREATE UNIQUE INDEX "Space_slug_key" ON "Space"("slug");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- The planning's version: bumped by every change a planning shows, whoever writes it.
CREATE TRIGGER "Booking_planning_insert" AFTER INSERT ON "Booking" BEGIN
  UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" = NEW."spaceId";
END;
CREATE TRIGGER "Booking_planning_update" AFTER UPDATE ON "Booking" BEGIN
  UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" IN (OLD."spaceId", NEW."spaceId");
END;
CREATE TRIGGER "Booking_planning_delete" AFTER DELETE ON "Booking" BEGIN
  UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" = OLD."spaceId";
END;
CREATE TRIGGER "Person_planning_update" AFTER UPDATE OF "name", "email" ON "Person"
WHEN OLD."name" IS NOT NEW."name" OR OLD."email" IS NOT NEW."email" BEGIN
  UPDATE "Space" SET "planningVersion" = "planningVersion" + 1
  WHERE "id" IN (SELECT "spaceId" FROM "Membership" WHERE "personId" = NEW."id");
END;
CREATE TRIGGER "Machine_planning_update" AFTER UPDATE OF "slug" ON "Machine"
WHEN OLD."slug" IS NOT NEW."slug" BEGIN
  UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" = NEW."spaceId";
END;
