-- CreateTable
CREATE TABLE "AgentEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "agentId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "machine" TEXT,
    "body" JSONB,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AgentEvent_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Machine" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'other',
    "status" TEXT NOT NULL DEFAULT 'available',
    "walkInAllowed" BOOLEAN NOT NULL DEFAULT true,
    "cutPolicy" TEXT NOT NULL DEFAULT 'immediate',
    "idleThresholdWatts" INTEGER,
    "maxSessionMinutes" INTEGER,
    "maxBookingMinutes" INTEGER NOT NULL DEFAULT 240,
    "minNoticeMinutes" INTEGER NOT NULL DEFAULT 0,
    "agentId" TEXT,
    "bookingLock" INTEGER NOT NULL DEFAULT 0,
    "liveState" TEXT NOT NULL DEFAULT 'offline',
    "liveSince" DATETIME,
    "liveMemberId" TEXT,
    "liveWatts" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Machine_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Machine_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Machine" ("agentId", "bookingLock", "createdAt", "cutPolicy", "id", "idleThresholdWatts", "kind", "maxBookingMinutes", "maxSessionMinutes", "minNoticeMinutes", "name", "slug", "spaceId", "status", "walkInAllowed") SELECT "agentId", "bookingLock", "createdAt", "cutPolicy", "id", "idleThresholdWatts", "kind", "maxBookingMinutes", "maxSessionMinutes", "minNoticeMinutes", "name", "slug", "spaceId", "status", "walkInAllowed" FROM "Machine";
DROP TABLE "Machine";
ALTER TABLE "new_Machine" RENAME TO "Machine";
CREATE INDEX "Machine_agentId_idx" ON "Machine"("agentId");
CREATE UNIQUE INDEX "Machine_spaceId_slug_key" ON "Machine"("spaceId", "slug");
CREATE TABLE "new_Agent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "spaceId" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "credentialHash" TEXT NOT NULL,
    "online" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "version" TEXT,
    "rightsVersion" INTEGER NOT NULL DEFAULT 0,
    "heldRightsVersion" INTEGER NOT NULL DEFAULT 0,
    "ackedSeq" INTEGER NOT NULL DEFAULT 0,
    "enrolMemberId" TEXT,
    "enrolUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Agent_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Agent" ("createdAt", "credentialHash", "id", "lastSeenAt", "name", "online", "rightsVersion", "slug", "spaceId") SELECT "createdAt", "credentialHash", "id", "lastSeenAt", "name", "online", "rightsVersion", "slug", "spaceId" FROM "Agent";
DROP TABLE "Agent";
ALTER TABLE "new_Agent" RENAME TO "Agent";
CREATE UNIQUE INDEX "Agent_slug_key" ON "Agent"("slug");
CREATE INDEX "Agent_spaceId_idx" ON "Agent"("spaceId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "AgentEvent_agentId_type_at_idx" ON "AgentEvent"("agentId", "type", "at");

-- CreateIndex
CREATE UNIQUE INDEX "AgentEvent_agentId_seq_key" ON "AgentEvent"("agentId", "seq");
