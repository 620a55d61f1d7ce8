-- A booking's write on PostgreSQL in one round trip (server/services/bookings.ts,
-- saveBooking): the bump of the machine's bookingLock, a row lock that queues concurrent
-- bookings of the machine, then the booking's insert (or its move) made only where no
-- active booking overlaps. Each statement of a procedure takes its own snapshot, so the
-- second sees every booking committed before the lock was granted, as two statements of a
-- client's transaction do; sent as BEGIN, two statements and COMMIT, they took four round
-- trips through the pool, and a booking's p95 at 50 clients was 20–24 ms. SQLite runs the
-- same two statements in one local transaction. `active`: the statuses that hold a slot.
CREATE PROCEDURE "save_booking"(
  "bookingId" TEXT, "spaceId" TEXT, "machineId" TEXT, "membershipId" TEXT,
  "slotStart" TIMESTAMP, "slotEnd" TIMESTAMP, "bookingNote" TEXT, "createdById" TEXT,
  "now" TIMESTAMP, "moving" BOOLEAN, "active" TEXT[], INOUT "written" INTEGER)
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = "save_booking"."machineId";
  IF "moving" THEN
    UPDATE "Booking" b SET "start" = "slotStart", "end" = "slotEnd", "note" = "bookingNote", "updatedAt" = "now"
    WHERE b."id" = "bookingId" AND NOT EXISTS (SELECT 1 FROM "Booking" o
      WHERE o."machineId" = "save_booking"."machineId" AND o."status" = ANY ("active")
      AND o."start" < "slotEnd" AND o."end" > "slotStart" AND o."id" <> "bookingId");
  ELSE
    INSERT INTO "Booking" ("id", "spaceId", "machineId", "membershipId", "start", "end", "status", "note",
      "createdById", "createdAt", "updatedAt")
    SELECT "bookingId", "save_booking"."spaceId", "save_booking"."machineId", "save_booking"."membershipId",
      "slotStart", "slotEnd", 'confirmed', "bookingNote", "save_booking"."createdById", "now", "now"
    WHERE NOT EXISTS (SELECT 1 FROM "Booking" o
      WHERE o."machineId" = "save_booking"."machineId" AND o."status" = ANY ("active")
      AND o."start" < "slotEnd" AND o."end" > "slotStart");
  END IF;
  GET DIAGNOSTICS "written" = ROW_COUNT;
END $$;
