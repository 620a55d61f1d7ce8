-- The planning cache's version is the machines' bookingLock counters (booking writes bump
-- them under their lock). These triggers bump them on every other change a planning shows,
-- whoever writes it: another server instance, an agent's check-in, invoicing, a rename.
CREATE TRIGGER "Booking_planning_insert" AFTER INSERT ON "Booking" BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = NEW."machineId";
END;
CREATE TRIGGER "Booking_planning_update" AFTER UPDATE ON "Booking" BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" IN (OLD."machineId", NEW."machineId");
END;
CREATE TRIGGER "Booking_planning_delete" AFTER DELETE ON "Booking" BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = OLD."machineId";
END;
CREATE TRIGGER "Person_planning_update" AFTER UPDATE OF "name", "email" ON "Person"
WHEN OLD."name" IS NOT NEW."name" OR OLD."email" IS NOT NEW."email" BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1
  WHERE "spaceId" IN (SELECT "spaceId" FROM "Membership" WHERE "personId" = NEW."id");
END;
CREATE TRIGGER "Machine_planning_slug" AFTER UPDATE OF "slug" ON "Machine"
WHEN OLD."slug" IS NOT NEW."slug" BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = NEW."id";
END;
