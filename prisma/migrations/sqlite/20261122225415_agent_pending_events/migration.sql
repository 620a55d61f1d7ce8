-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
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
    "rightsHash" TEXT,
    "heldRightsVersion" INTEGER NOT NULL DEFAULT 0,
    "pendingEvents" INTEGER NOT NULL DEFAULT 0,
    "ackedSeq" INTEGER NOT NULL DEFAULT 0,
    "enrolMemberId" TEXT,
    "enrolUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Agent_spaceId_fkey" FOREIGN KEY ("spaceId") REFERENCES "Space" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Agent" ("ackedSeq", "createdAt", "credentialHash", "enrolMemberId", "enrolUntil", "heldRightsVersion", "id", "lastSeenAt", "name", "online", "rightsHash", "rightsVersion", "slug", "spaceId", "version") SELECT "ackedSeq", "createdAt", "credentialHash", "enrolMemberId", "enrolUntil", "heldRightsVersion", "id", "lastSeenAt", "name", "online", "rightsHash", "rightsVersion", "slug", "spaceId", "version" FROM "Agent";
DROP TABLE "Agent";
ALTER TABLE "new_Agent" RENAME TO "Agent";
CREATE UNIQUE INDEX "Agent_slug_key" ON "Agent"("slug");
CREATE INDEX "Agent_spaceId_idx" ON "Agent"("spaceId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
