-- Server instances keep copies of the rows every request reads (the caller behind a token
-- or session, their membership and space, the planning version: the machines' counters)
-- while nothing changed. A statement that changes one of these tables tells every
-- instance on commit (NOTIFY is sent at commit, once per transaction and payload), whoever
-- wrote it: another instance, psql, a script. See server/db/change-feed.ts. SQLite needs
-- no trigger: the file's data_version tells the server of other connections' commits.
CREATE FUNCTION "notify_fablab_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fablab_changes', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER "ApiToken_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ApiToken"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
CREATE TRIGGER "AuthSession_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "AuthSession"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
CREATE TRIGGER "Person_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Person"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
CREATE TRIGGER "Membership_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Membership"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
CREATE TRIGGER "Space_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Space"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
CREATE TRIGGER "Machine_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Machine"
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_fablab_changes"();
