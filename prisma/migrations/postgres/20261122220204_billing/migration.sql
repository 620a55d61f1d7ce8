-- AlterTable
ALTER TABLE "Space" ADD COLUMN     "accountCustomers" TEXT NOT NULL DEFAULT '411000',
ADD COLUMN     "accountSales" TEXT NOT NULL DEFAULT '706000',
ADD COLUMN     "accountVat" TEXT NOT NULL DEFAULT '445710',
ADD COLUMN     "accountingJournal" TEXT NOT NULL DEFAULT 'VE',
ADD COLUMN     "invoicePrefix" TEXT NOT NULL DEFAULT 'FAB',
ADD COLUMN     "invoiceSeq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "legalAddress" TEXT,
ADD COLUMN     "legalName" TEXT,
ADD COLUMN     "siret" TEXT,
ADD COLUMN     "vatNumber" TEXT;

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "billingAddress" TEXT,
ADD COLUMN     "billingName" TEXT,
ADD COLUMN     "siret" TEXT,
ADD COLUMN     "vatNumber" TEXT;

-- AlterTable
ALTER TABLE "Booking" ADD COLUMN     "invoiceId" TEXT,
ADD COLUMN     "noShowFeeCents" INTEGER;

-- AlterTable
ALTER TABLE "UsageSession" ADD COLUMN     "billedMinutes" INTEGER,
ADD COLUMN     "chargeCents" INTEGER,
ADD COLUMN     "invoiceId" TEXT,
ADD COLUMN     "priceGroupId" TEXT;

-- AlterTable
ALTER TABLE "Rate" ADD COLUMN     "billBusyOnly" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "CreditEntry" (
    "id" TEXT NOT NULL,
    "spaceId" TEXT NOT NULL,
    "membershipId" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "means" TEXT,
    "reference" TEXT,
    "sessionId" TEXT,
    "createdById" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CreditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL,
    "spaceId" TEXT NOT NULL,
    "membershipId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'invoice',
    "correctsId" TEXT,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "periodEnd" TIMESTAMP(3) NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "currency" TEXT NOT NULL,
    "seller" JSONB,
    "buyer" JSONB,
    "totalExclCents" INTEGER NOT NULL,
    "vatCents" INTEGER NOT NULL,
    "totalInclCents" INTEGER NOT NULL,
    "previousHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "issuedById" TEXT,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InvoiceLine" (
    "id" TEXT NOT NULL,
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
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InvoiceLine_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "UsageSession" ADD CONSTRAINT "UsageSession_priceGroupId_fkey" FOREIGN KEY ("priceGroupId") REFERENCES "PriceGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditEntry" ADD CONSTRAINT "CreditEntry_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditEntry" ADD CONSTRAINT "CreditEntry_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InvoiceLine" ADD CONSTRAINT "InvoiceLine_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;
