-- AlterTable
ALTER TABLE "Membership" ADD COLUMN "billingAddress" TEXT;
ALTER TABLE "Membership" ADD COLUMN "billingName" TEXT;
ALTER TABLE "Membership" ADD COLUMN "siret" TEXT;
ALTER TABLE "Membership" ADD COLUMN "vatNumber" TEXT;

-- AlterTable
ALTER TABLE "Booking" ADD COLUMN "invoiceId" TEXT;
ALTER TABLE "Booking" ADD COLUMN "noShowFeeCents" INTEGER;

-- CreateTable
CREATE TABLE "CreditEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "membershipId" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "means" TEXT,
    "reference" TEXT,
    "sessionId" TEXT,
    "createdById" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CreditEntry_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "CreditEntry_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "membershipId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'invoice',
    "correctsId" TEXT,
    "periodStart" DATETIME NOT NULL,
    "periodEnd" DATETIME NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "currency" TEXT NOT NULL,
    "seller" JSONB,
    "buyer" JSONB,
    "totalExclCents" INTEGER NOT NULL,
    "vatCents" INTEGER NOT NULL,
    "totalInclCents" INTEGER NOT NULL,
    "previousHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "issuedById" TEXT,
    CONSTRAINT "Invoice_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Invoice_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "InvoiceLine" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "invoiceId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "machine" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unitCents" INTEGER NOT NULL,
    "amountExclCents" INTEGER NOT NULL,
    "vatRateBps" INTEGER NOT NULL,
    "vatCents" INTEGER NOT NULL,
    "sessionId" TEXT,
    "bookingId" TEXT,
    "at" DATETIME NOT NULL,
    CONSTRAINT "InvoiceLine_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

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
    "accountingJournal" TEXT NOT NULL DEFAULT 'VE',
    "accountCustomers" TEXT NOT NULL DEFAULT '411000',
    "accountSales" TEXT NOT NULL DEFAULT '706000',
    "accountVat" TEXT NOT NULL DEFAULT '445710',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Space" ("bookingWindowDays", "checkInMinutes", "createdAt", "currency", "id", "minCreditCents", "name", "noShowGraceMinutes", "requireCredit", "settings", "slug", "timeZone", "vatRateBps") SELECT "bookingWindowDays", "checkInMinutes", "createdAt", "currency", "id", "minCreditCents", "name", "noShowGraceMinutes", "requireCredit", "settings", "slug", "timeZone", "vatRateBps" FROM "Space";
DROP TABLE "Space";
ALTER TABLE "new_Space" RENAME TO "Space";
CREATE UNIQUE INDEX "Space_slug_key" ON "Space"("slug");
CREATE TABLE "new_UsageSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "machineId" TEXT NOT NULL,
    "membershipId" TEXT,
    "badgeId" TEXT,
    "bookingId" TEXT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "endCause" TEXT,
    "busySeconds" INTEGER,
    "agentSessionId" TEXT,
    "priceGroupId" TEXT,
    "billedMinutes" INTEGER,
    "chargeCents" INTEGER,
    "invoiceId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "UsageSession_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "UsageSession_machineId_fkey" FOREIGN KEY ("machineId") REFERENCES "Machine" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "UsageSession_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "UsageSession_badgeId_fkey" FOREIGN KEY ("badgeId") REFERENCES "Badge" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "UsageSession_bookingId_fkey" FOREIGN KEY ("bookingId") REFERENCES "Booking" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "UsageSession_priceGroupId_fkey" FOREIGN KEY ("priceGroupId") REFERENCES "PriceGroup" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_UsageSession" ("agentSessionId", "badgeId", "bookingId", "busySeconds", "createdAt", "endCause", "endedAt", "id", "machineId", "membershipId", "spaceId", "startedAt") SELECT "agentSessionId", "badgeId", "bookingId", "busySeconds", "createdAt", "endCause", "endedAt", "id", "machineId", "membershipId", "spaceId", "startedAt" FROM "UsageSession";
DROP TABLE "UsageSession";
ALTER TABLE "new_UsageSession" RENAME TO "UsageSession";
CREATE UNIQUE INDEX "UsageSession_agentSessionId_key" ON "UsageSession"("agentSessionId");
CREATE INDEX "UsageSession_spaceId_startedAt_idx" ON "UsageSession"("spaceId", "startedAt");
CREATE INDEX "UsageSession_machineId_startedAt_idx" ON "UsageSession"("machineId", "startedAt");
CREATE INDEX "UsageSession_membershipId_idx" ON "UsageSession"("membershipId");
CREATE TABLE "new_Rate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "machineId" TEXT NOT NULL,
    "priceGroupId" TEXT NOT NULL,
    "centsPerHour" INTEGER NOT NULL,
    "stepMinutes" INTEGER NOT NULL DEFAULT 1,
    "minimumCents" INTEGER NOT NULL DEFAULT 0,
    "noShowFeeCents" INTEGER NOT NULL DEFAULT 0,
    "billBusyOnly" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Rate_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Rate_machineId_fkey" FOREIGN KEY ("machineId") REFERENCES "Machine" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Rate_priceGroupId_fkey" FOREIGN KEY ("priceGroupId") REFERENCES "PriceGroup" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Rate" ("centsPerHour", "id", "machineId", "minimumCents", "noShowFeeCents", "priceGroupId", "spaceId", "stepMinutes") SELECT "centsPerHour", "id", "machineId", "minimumCents", "noShowFeeCents", "priceGroupId", "spaceId", "stepMinutes" FROM "Rate";
DROP TABLE "Rate";
ALTER TABLE "new_Rate" RENAME TO "Rate";
CREATE INDEX "Rate_spaceId_idx" ON "Rate"("spaceId");
CREATE UNIQUE INDEX "Rate_machineId_priceGroupId_key" ON "Rate"("machineId", "priceGroupId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "CreditEntry_sessionId_key" ON "CreditEntry"("sessionId");

-- CreateIndex
CREATE INDEX "CreditEntry_spaceId_at_idx" ON "CreditEntry"("spaceId", "at");

-- CreateIndex
CREATE INDEX "CreditEntry_membershipId_at_idx" ON "CreditEntry"("membershipId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_hash_key" ON "Invoice"("hash");

-- CreateIndex
CREATE INDEX "Invoice_membershipId_idx" ON "Invoice"("membershipId");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_spaceId_seq_key" ON "Invoice"("spaceId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_spaceId_number_key" ON "Invoice"("spaceId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "InvoiceLine_invoiceId_position_key" ON "InvoiceLine"("invoiceId", "position");
