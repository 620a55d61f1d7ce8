-- AlterTable
ALTER TABLE "Space" ADD COLUMN     "planningVersion" INTEGER NOT NULL DEFAULT 0;

-- The planning's version: bumped by every change a planning shows, whoever writes it.
-- Deferred to commit, so the Space row is locked last and only for the commit: concurrent
-- bookings of different machines still run side by side until then.
CREATE FUNCTION "bump_planning_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'Person' THEN
    UPDATE "Space" SET "planningVersion" = "planningVersion" + 1
    WHERE "id" IN (SELECT "spaceId" FROM "Membership" WHERE "personId" = NEW."id");
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" = OLD."spaceId";
  ELSE
    UPDATE "Space" SET "planningVersion" = "planningVersion" + 1 WHERE "id" = NEW."spaceId";
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER "Booking_planning" AFTER INSERT OR UPDATE OR DELETE ON "Booking"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_planning_version"();
CREATE CONSTRAINT TRIGGER "Person_planning" AFTER UPDATE OF "name", "email" ON "Person"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD."name" IS DISTINCT FROM NEW."name" OR OLD."email" IS DISTINCT FROM NEW."email")
  EXECUTE FUNCTION "bump_planning_version"();
CREATE CONSTRAINT TRIGGER "Machine_planning" AFTER UPDATE OF "slug" ON "Machine"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD."slug" IS DISTINCT FROM NEW."slug")
  EXECUTE FUNCTION "bump_planning_version"();
