-- Server instances keep copies of the rows every request reads (the caller behind a token
-- or session, their membership and space, the planning version) while nothing changed.
-- Each instance announces its own committed writes on the channel 'fablab_changes'; these
-- triggers also tell every instance when anyone else changes a caller, a membership or a
-- space (psql, a script), on commit (once per transaction and payload). See
-- server/db/change-feed.ts. No trigger on the machines' planning counters: every booking
-- bumps one, and a NOTIFY inside every booking's commit serialised booking commits on the
-- notification lock. SQLite needs no trigger: the file's data_version tells the server of
-- other connections' commits.
CREATE FUNCTION "notify_fablab_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fablab_changes', TG_TABLE_NAME);
  RETURN NULL;
END $$;
DO $$
DECLARE watched text;
BEGIN
  FOREACH watched IN ARRAY ARRAY['ApiToken', 'AuthSession', 'Person', 'Membership', 'Space'] LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
       FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"()',
      watched || '_changes', watched);
  END LOOP;
END $$;
