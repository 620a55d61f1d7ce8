-- AlterTable
ALTER TABLE "Agent" ADD COLUMN "rightsHash" TEXT;
