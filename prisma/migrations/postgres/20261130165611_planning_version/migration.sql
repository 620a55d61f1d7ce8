-- The planning cache's version is the machines' bookingLock counters (booking writes bump
-- them under their lock). These triggers bump them on every other change a planning shows,
-- whoever writes it: another server instance, an agent's check-in, invoicing, a rename.
-- A booking's own machine row is the lock its writers take anyway: no new contention.
CREATE FUNCTION "bump_planning_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'Person' THEN
    UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1
    WHERE "spaceId" IN (SELECT "spaceId" FROM "Membership" WHERE "personId" = NEW."id");
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = OLD."machineId";
  ELSIF TG_OP = 'UPDATE' AND OLD."machineId" <> NEW."machineId" THEN
    UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" IN (OLD."machineId", NEW."machineId");
  ELSE
    UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = NEW."machineId";
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "Booking_planning" AFTER INSERT OR UPDATE OR DELETE ON "Booking"
  FOR EACH ROW EXECUTE FUNCTION "bump_planning_version"();
CREATE TRIGGER "Person_planning" AFTER UPDATE OF "name", "email" ON "Person"
  FOR EACH ROW WHEN (OLD."name" IS DISTINCT FROM NEW."name" OR OLD."email" IS DISTINCT FROM NEW."email")
  EXECUTE FUNCTION "bump_planning_version"();
-- Before the row is written: the slug and its counter change together.
CREATE FUNCTION "bump_machine_planning_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."bookingLock" := OLD."bookingLock" + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER "Machine_planning_slug" BEFORE UPDATE OF "slug" ON "Machine"
  FOR EACH ROW WHEN (OLD."slug" IS DISTINCT FROM NEW."slug")
  EXECUTE FUNCTION "bump_machine_planning_version"();
