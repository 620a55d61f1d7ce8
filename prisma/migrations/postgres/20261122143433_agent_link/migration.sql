-- AlterTable
ALTER TABLE "Machine" ADD COLUMN     "liveMemberId" TEXT,
ADD COLUMN     "liveSince" TIMESTAMP(3),
ADD COLUMN     "liveState" TEXT NOT NULL DEFAULT 'offline',
ADD COLUMN     "liveWatts" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "ackedSeq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "enrolMemberId" TEXT,
ADD COLUMN     "enrolUntil" TIMESTAMP(3),
ADD COLUMN     "heldRightsVersion" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "version" TEXT;

-- CreateTable
CREATE TABLE "AgentEvent" (
    "id" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "machine" TEXT,
    "body" JSONB,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentEvent_agentId_type_at_idx" ON "AgentEvent"("agentId", "type", "at");

-- CreateIndex
CREATE UNIQUE INDEX "AgentEvent_agentId_seq_key" ON "AgentEvent"("agentId", "seq");

-- AddForeignKey
ALTER TABLE "AgentEvent" ADD CONSTRAINT "AgentEvent_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
