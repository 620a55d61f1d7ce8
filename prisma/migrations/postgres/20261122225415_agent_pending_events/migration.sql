-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "pendingEvents" INTEGER NOT NULL DEFAULT 0;
